"""digitfusion: recognise a digit that is written and spoken at the same time."""

__version__ = "0.1.0"
__all__ = ["Recognizer"]


def __getattr__(name: str):
    """`from digitfusion import Recognizer` loads the API on first use: `import digitfusion` stays light."""
    if name == "Recognizer":
        from digitfusion.api import Recognizer

        return Recognizer
    raise AttributeError(f"module 'digitfusion' has no attribute {name!r}")
