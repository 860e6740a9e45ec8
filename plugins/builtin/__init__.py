"""Built-in formats: plugins like any other, registered by module name (manager.DEFAULT_PLUGINS)."""
