"""FSDD moved to `digitfusion.data.corpora.fsdd`; the Recording and the listing to `digitfusion.data.corpora`.
Kept so existing imports keep working (`list_recordings(root)` lists FSDD); new code imports the registry."""

from digitfusion.data.corpora import Recording, list_recordings, parse_name

__all__ = ["Recording", "list_recordings", "parse_name"]
