"""Waiting out a brief run of failures on creating, completing or attaching an upload.

The client repeats what is safe to repeat a few times within seconds; a Procore outage of half
a minute outlasts that. Before a file is marked Failed, the engine tries the step again after
waits of 2, 4, 8, 16 and 32 seconds, each drawn between half and all of its value ("equal
jitter": files that failed together do not come back together, and the tries still span at
least ``STEP_RETRY.shortest_span()`` seconds). Every step continues from the journal, so nothing
is sent twice. The policy is the same :class:`RetryPolicy` the client and storage use.
"""

from __future__ import annotations

from uploader_gui.procore.http import RetryPolicy

#: Six tries of a step that failed for a passing reason (5xx, 429): the first and five more.
STEP_RETRY = RetryPolicy(attempts=6, base_delay=2.0, max_delay=32.0, jitter_floor=0.5)
