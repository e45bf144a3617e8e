"""WebRTC sessions: tokens, signalling, peers, relay, recording, frame taps and session events.

A library: no web framework and no database. The hub and the node wire it to their WebSocket
routes and tables.
"""

from media.client import OfferingPeer, RemoteTrack
from media.config import TurnSettings, load_turn
from media.events import EventLog, EventRefused, LoggedEvent, SessionEvent, parse_event
from media.frame_tap import FrameTap, SamplingPolicy, TapCounts
from media.peers import PeerLink, StateChange, turn_credentials
from media.recorder import Segment, SessionRecorder, sha256_file
from media.relay import SessionRelay, SourceSwitch
from media.room import MediaRoom, Member, serve_member
from media.signalling import SignallingRefused, check_sdp, encode, parse_message
from media.tokens import TokenClaims, TokenIssuer, TokenRejected
from media.uplink import Uplink

__all__ = [
    "EventLog",
    "EventRefused",
    "FrameTap",
    "LoggedEvent",
    "MediaRoom",
    "Member",
    "OfferingPeer",
    "PeerLink",
    "RemoteTrack",
    "SamplingPolicy",
    "Segment",
    "SessionEvent",
    "SessionRecorder",
    "SessionRelay",
    "SignallingRefused",
    "SourceSwitch",
    "StateChange",
    "TapCounts",
    "TokenClaims",
    "TokenIssuer",
    "TokenRejected",
    "TurnSettings",
    "Uplink",
    "check_sdp",
    "encode",
    "load_turn",
    "parse_event",
    "parse_message",
    "serve_member",
    "sha256_file",
    "turn_credentials",
]
