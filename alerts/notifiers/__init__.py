"""Notifiers: deliver explained alerts to a channel (log, webhook, Slack, Telegram, email).

Each is a class built as `cls(name, options, session)`, registered in `alerts/plugins.py`;
`base.BaseNotifier` holds the shared options, retry loop and HTTP error mapping.
"""
