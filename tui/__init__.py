"""zhurnal.tui: the command line (`zhurnal ...`) and the full-screen app.

Importing this package must stay cheap: the CLI imports Textual only when the app is opened.
"""
