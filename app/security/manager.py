"""Security manager of the back office: FAB's, extended by memberships and the partner scope."""
from flask_appbuilder.security.sqla.manager import SecurityManager


class IqSecurityManager(SecurityManager):
    pass
