"""Pure detectors: each turns the store's series into the alerts that are unusual now.

`volume_spike` (mentions per brand), `emerging_term` (hashtags and topics), `tone_shift`
(sentiment) and `share_of_voice` (a brand against its competitors); `stats` holds the statistics
they share. Each is registered in `alerts/plugins.py`.
"""
