"""The command palette lists what the current screen can do: its active key bindings, by their labels."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from zhurnal.tui.app.keys import screen_keys

# The palette opening itself is not a command worth listing in the palette.
_SKIP_ACTIONS = frozenset({"command_palette", "app.command_palette"})


class ScreenCommands(Provider):
    """Every binding of the app active on the screen the palette was opened from."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        for shown, text, binding, node in screen_keys(self.screen):
            if binding.action in _SKIP_ACTIONS:
                continue
            yield text, shown, partial(self.app.run_action, binding.action, node)

    async def discover(self) -> Hits:
        for text, shown, command in self._commands():
            yield DiscoveryHit(text, command, text=text, help=shown)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, shown, command in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=shown)
