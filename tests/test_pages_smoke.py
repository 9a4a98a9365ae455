"""Pages every logged-in user reaches: start page, menu API, user info, health."""
import pytest


@pytest.mark.parametrize("role,partners", [("Admin", ()), ("Staff", ("migra",)), ("Management", ("migra",)),
                                           ("PartnerAdmin", ("migra",))])
def test_start_page_menu_and_user_info(role, partners, login_as, client):
    login_as(f"t_{role.lower()}", role, partners)
    assert client.get("/").status_code == 200
    menu = client.get("/api/v1/menu/")
    assert menu.status_code == 200 and menu.get_json()["result"]
    assert client.get("/users/userinfo/").status_code == 200


def test_forbidden_page_is_the_apps_own_error_page(login_as, client):
    login_as("t_staff", "Staff", ("migra",))
    response = client.get("/reports/dashboard")
    assert response.status_code == 403
    assert "You are not allowed to open this page." in response.get_data(as_text=True)
