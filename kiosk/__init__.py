"""The full-screen touch kiosk: screens built on ``kiosk.ui`` over the domain in ``core``."""
