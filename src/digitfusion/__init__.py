"""digitfusion: recognise a digit that is written and spoken at the same time."""

__version__ = "0.1.0"
