"""One module per group of `zhurnal` commands; each has `register(commands)` adding its sub-parsers."""

# The order here is the order `zhurnal --help` lists them in.
COMMAND_MODULES = ("school", "people", "users", "codes", "year", "report", "backup", "imports", "messages", "serve")
