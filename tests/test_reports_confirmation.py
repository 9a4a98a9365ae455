"""Counselling confirmation: names in every script, German dates, partner scope, hostile content."""
import io
import socket
import threading
from datetime import date

import pytest
from flask import template_rendered
from pypdf import PdfReader

from app.reports.rendering import STATIC_DIR, StaticOnlyFetcher, html_to_pdf


def pdf(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def embedded_files(reader):
    names = reader.trailer["/Root"].get("/Names")
    return reader.attachments, (names.get_object().get("/EmbeddedFiles") if names else None)


def make_case(factories, partner="migra", language="de", **client_fields):
    client = factories.client(partner=partner, counselling_language=language, **client_fields)
    case = factories.case(client=client, opened_on=date(2013, 3, 14), qualification_country="PL")
    factories.contact(case, date=date(2013, 3, 14))
    factories.contact(case, date=date(2013, 4, 2), kind="follow_up")
    return case


@pytest.mark.parametrize("first, last, language, phrase", [
    ("Łukasz", "Wąsowski-Çelik Nguyễn", "de", "Beratung am"),
    ("Анна", "Кузнецова", "ru", "Подтверждение консультации"),
    ("محمد", "الأحمد", "ar", "شهادة استشارة"),
    ("Ayşe", "Öztürk", "en", "Confirmation of recognition counselling"),
])
def test_letter_names_partner_and_german_dates(login_as, factories, first, last, language, phrase):
    case = make_case(factories, language=language, first_name=first, last_name=last,
                     birth_date=date(1984, 11, 3))
    client = login_as("t_staff", "Staff", partners=("migra",))
    reader, text = pdf(client.get(f"/cases/{case.id}/confirmation.pdf"))
    normalised = " ".join(text.split())
    assert first in text and last.split()[0] in text
    assert phrase in normalised
    assert "migra e.V." in text and "Waldemarstraße 56" in text and "18057 Rostock" in text  # network.md
    assert "Rosa-Luxemburg-Straße" not in text
    assert "03.11.1984" in text and "14.03.2013" in text and "02.04.2013" in text
    assert "Integration durch Qualifizierung" in normalised
    if language != "de":  # the German original follows the translation
        assert "keine Entscheidung über die Gleichwertigkeit" in normalised and len(reader.pages) == 2



def test_letter_copes_with_a_partner_without_a_street(login_as, factories):
    case = make_case(factories, partner="agsa")  # the announcement names no street for agsa
    assert case.partner.street is None and case.partner.address_unverified
    client = login_as("t_staff_agsa", "Staff", partners=("agsa",))
    reader, text = pdf(client.get(f"/cases/{case.id}/confirmation.pdf"))
    assert "Auslandsgesellschaft Sachsen-Anhalt e.V. · Magdeburg" in text
    assert "· ·" not in text and "None" not in text


def test_arabic_letter_is_right_to_left(app, login_as, factories):
    case = make_case(factories, language="ar", first_name="محمد", last_name="الأحمد")
    client = login_as("t_staff", "Staff", partners=("migra",))
    rendered = []
    with template_rendered.connected_to(lambda sender, template, context: rendered.append(
            template.render(context)), app):
        pdf(client.get(f"/cases/{case.id}/confirmation.pdf"))
    html = rendered[-1]
    assert '<html lang="ar" dir="rtl">' in html
    assert '<div class="letter" lang="ar" dir="rtl">' in html and '<div class="letter" lang="de" dir="ltr">' in html


def test_lang_parameter_overrides_the_counselling_language(login_as, factories):
    case = make_case(factories, language="ru")
    client = login_as("t_staff", "Staff", partners=("migra",))
    reader, text = pdf(client.get(f"/cases/{case.id}/confirmation.pdf?lang=en"))
    assert "Dear Ms" in text and len(reader.pages) == 2
    reader, text = pdf(client.get(f"/cases/{case.id}/confirmation.pdf?lang=de"))
    assert "Sehr geehrte Frau" in text and len(reader.pages) == 1


def test_another_partners_case_is_not_found(login_as, factories):
    case = make_case(factories, partner="agsa")
    client = login_as("t_staff", "Staff", partners=("migra",))
    assert client.get(f"/cases/{case.id}/confirmation.pdf").status_code == 404
    assert client.get("/cases/999999/confirmation.pdf").status_code == 404


def test_management_cannot_fetch_a_confirmation(login_as, factories):
    case = make_case(factories)
    client = login_as("t_mgmt", "Management", partners=("migra",))
    response = client.get(f"/cases/{case.id}/confirmation.pdf")
    assert response.status_code == 403 and b"Vorname" not in response.data


class Listener:
    """A local TCP socket that records every connection attempt."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def test_hostile_field_values_are_printed_not_fetched(login_as, factories, listener):
    url = f"http://127.0.0.1:{listener.port}/x.png"
    case = make_case(factories, last_name='<link rel="attachment" href="file:///etc/passwd">',
                     district=f'<img src="{url}">')
    case.qualification_title = '<img src="file:///etc/passwd"><style>@import "file:///etc/passwd";</style>'
    factories.session.commit()
    client = login_as("t_staff", "Staff", partners=("migra",))
    reader, text = pdf(client.get(f"/cases/{case.id}/confirmation.pdf"))
    assert "root:x:0:0" not in text
    assert "<img" in text and "file:///etc/passwd" in text  # shown as text, escaped
    assert embedded_files(reader) == ({}, None)
    assert listener.connections == 0


def test_renderer_refuses_every_url_but_its_static_files(app, listener):
    """Even unescaped markup (a template bug) cannot read files, attach them or call URLs."""
    url = f"http://127.0.0.1:{listener.port}"
    html = f"""<html><head><link rel="stylesheet" href="print.css">
      <link rel="attachment" href="file:///etc/passwd"><link rel="stylesheet" href="{url}/a.css">
      <style>@import url("{url}/b.css"); @font-face {{ font-family: x; src: url("{url}/f.ttf"); }}</style></head>
      <body><img src="file:///etc/passwd"><img src="{url}/c.png"><img src="data:image/svg+xml,<svg/>">
      <img src="print.css/../../../../../../etc/passwd"><iframe src="file:///etc/passwd"></iframe>
      <object data="{url}/d"></object><p>ok</p></body></html>"""
    with app.test_request_context():
        data = html_to_pdf(html)
    reader = PdfReader(io.BytesIO(data))
    assert "root:x:0:0" not in reader.pages[0].extract_text()
    assert embedded_files(reader) == ({}, None)
    assert listener.connections == 0


def test_fetcher_serves_only_files_below_its_directory():
    fetcher = StaticOnlyFetcher()
    assert b"font-family" in fetcher.fetch((STATIC_DIR / "print.css").as_uri()).read()
    for url in ("file:///etc/passwd", f"{(STATIC_DIR / 'print.css').as_uri()}/../../../../../etc/passwd",
                "file://otherhost/etc/passwd", "http://127.0.0.1/", "https://example.org/",
                "data:text/plain,hello", "ftp://127.0.0.1/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7
