"""One colour per state, wherever a state is shown.

States are stored as codes across the apps (an application's status, an operation's state, a
holder's verification); people see their label in a badge whose colour says how the thing
stands: done, under way, waiting for someone, refused or broken, not started.
"""

DONE = "green"
UNDER_WAY = "blue"
WAITING = "yellow"
BAD = "red"
IDLE = "secondary"

STATE_COLOURS: dict[str, str] = {
    # done
    "active": DONE,
    "approved": DONE,
    "confirmed": DONE,
    "done": DONE,
    "filled": DONE,
    "final": DONE,
    "issued": DONE,
    "redeemed": DONE,
    "verified": DONE,
    "valid": DONE,
    "paid": DONE,
    "matched": DONE,
    "allocated": DONE,
    # under way
    "broadcast": UNDER_WAY,
    "burning": UNDER_WAY,
    "in_progress": UNDER_WAY,
    "open": UNDER_WAY,
    "partially_filled": UNDER_WAY,
    "received": UNDER_WAY,
    "issuing": UNDER_WAY,
    "sending": UNDER_WAY,
    "submitted": UNDER_WAY,
    "validating": UNDER_WAY,
    "unconfirmed": UNDER_WAY,
    # waiting for someone
    "changes_requested": WAITING,
    "pending": WAITING,
    "requested": WAITING,
    "unverified": WAITING,
    "awaiting_seal": WAITING,
    "awaiting_second": WAITING,
    "awaiting": WAITING,
    "unallocated": WAITING,
    # refused or broken
    "broken": BAD,
    "failed": BAD,
    "halted": BAD,
    "fatal": BAD,
    "invalid": BAD,
    "refused": BAD,
    "rejected": BAD,
    "reverted": BAD,
    "revoked": BAD,
    "suspended": BAD,
    "expired": BAD,
    # not started
    "cancelled": IDLE,
    "draft": IDLE,
    "unstarted": IDLE,
    "returned": IDLE,
}


def state_colour(state: object) -> str:
    return STATE_COLOURS.get(str(state), IDLE)
