"""The decoder moved to `digitfusion.audio_io` (features/cache.py needs it, and features must not import data).
Kept so existing imports keep working; new code imports `digitfusion.audio_io`."""

from digitfusion.audio_io import MAX_SECONDS, TARGET_RATE, load_audio, load_audio_bytes, resample

__all__ = ["MAX_SECONDS", "TARGET_RATE", "load_audio", "load_audio_bytes", "resample"]
