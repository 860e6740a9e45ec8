"""Reports produced as files (the activity report); built from the services\x27 dataclasses."""
