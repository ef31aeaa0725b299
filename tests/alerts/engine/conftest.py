from tests.alerts.fixtures import channels, session, smtp, tls_files

__all__ = ["channels", "session", "smtp", "tls_files"]
