"""The Janus media plane: Janus's VideoRoom forwards and records, the hub signals and seals.

Janus runs as its own process (Debian's ``janus``); we talk to it over its HTTP API.
"""

from media.janus.api import JanusHandle, JanusRefused, JanusSession, JanusUnavailable
from media.janus.plane import JanusPlane
from media.janus.process import JanusLayout, janus_available, running_janus, write_config
from media.janus.recording import Publication, RecordedStream, convert_recordings
from media.janus.room import JanusRoom

__all__ = [
    "JanusHandle",
    "JanusLayout",
    "JanusPlane",
    "JanusRefused",
    "JanusRoom",
    "JanusSession",
    "JanusUnavailable",
    "Publication",
    "RecordedStream",
    "convert_recordings",
    "janus_available",
    "running_janus",
    "write_config",
]
