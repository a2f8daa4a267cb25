"""AI SDK tools and tool choice -> Interactions ``tools`` and ``tool_choice`` (sans-IO).

Function tools (``{"type": "function", "name", "description"?, "inputSchema"}``)
become ``{"type": "function", "name", "description", "parameters"}`` with the JSON
Schema passed through. Provider tools (``{"type": "provider", "id": "google.<name>",
"args": {...}}``) map onto the API's built-in tools; an unknown one, or a tool of
another type, is dropped with an ``unsupported`` warning.

Tool choice: ``auto`` -> ``"auto"``, ``required`` -> ``"any"``,
``{"type": "tool", "toolName": n}`` -> ``{"allowed_tools": {"mode": "validated",
"tools": [n]}}``. The API governs only function calling with it and rejects it
when no function tool is declared, so it is left out then. ``none`` leaves out
every tool and ``tool_choice`` (AI SDK 4.0.111): the API's ``"none"`` would not stop
provider-executed tools such as Google Search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, final

import attrs

from partstream import parts
from partstream.errors import InvalidArgumentError

__all__ = ["PreparedTools", "prepare_interactions_tools"]

_SEARCH_TYPES: Final = (("webSearch", "web_search"), ("imageSearch", "image_search"))


@final
@attrs.frozen
class PreparedTools:
    """``tools`` and ``tool_choice`` for the body (``None`` when absent) and the warnings."""

    tools: list[dict[str, Any]] | None
    tool_choice: str | dict[str, Any] | None
    warnings: list[parts.Warning]


def _renamed(args: Mapping[str, Any], names: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The given ``args`` (those not ``None``) under their API names."""
    return {api: args[key] for key, api in names if args.get(key) is not None}


def _provider_tool(tool_id: Any, args: Mapping[str, Any]) -> dict[str, Any] | None:
    if tool_id == "google.google_search":
        tool: dict[str, Any] = {"type": "google_search"}
        wanted = args.get("searchTypes")
        if isinstance(wanted, Mapping):
            search_types = [api for key, api in _SEARCH_TYPES if wanted.get(key) is not None]
            if search_types:
                tool["search_types"] = search_types
        return tool
    if tool_id == "google.code_execution":
        return {"type": "code_execution"}
    if tool_id == "google.url_context":
        return {"type": "url_context"}
    if tool_id == "google.file_search":
        return {
            "type": "file_search",
            **_renamed(
                args,
                (
                    ("fileSearchStoreNames", "file_search_store_names"),
                    ("topK", "top_k"),
                    ("metadataFilter", "metadata_filter"),
                ),
            ),
        }
    if tool_id == "google.google_maps":
        return {
            "type": "google_maps",
            **_renamed(
                args,
                (
                    ("latitude", "latitude"),
                    ("longitude", "longitude"),
                    ("enableWidget", "enable_widget"),
                ),
            ),
        }
    if tool_id == "google.computer_use":
        environment = args.get("environment")
        return {
            "type": "computer_use",
            "environment": "browser" if environment is None else environment,
            # The API spells this field in camelCase.
            **_renamed(args, (("excludedPredefinedFunctions", "excludedPredefinedFunctions"),)),
        }
    if tool_id == "google.mcp_server":
        return {
            "type": "mcp_server",
            **_renamed(
                args,
                (
                    ("name", "name"),
                    ("url", "url"),
                    ("headers", "headers"),
                    ("allowedTools", "allowed_tools"),
                ),
            ),
        }
    if tool_id == "google.retrieval":
        retrieval_types = args.get("retrievalTypes")
        tool = {
            "type": "retrieval",
            "retrieval_types": ["vertex_ai_search"] if retrieval_types is None else retrieval_types,
        }
        config = args.get("vertexAiSearchConfig")
        if config is not None:
            tool["vertex_ai_search_config"] = config
        return tool
    return None


def _tool_choice(tool_choice: Any) -> str | dict[str, Any] | None:
    if not isinstance(tool_choice, Mapping):
        raise InvalidArgumentError(
            f"tool_choice must be an object with a type, got {type(tool_choice).__name__}",
            argument="toolChoice",
        )
    kind = tool_choice.get("type")
    if kind == "auto":
        return "auto"
    if kind == "required":
        return "any"
    if kind == "tool":
        name = tool_choice.get("toolName")
        if not isinstance(name, str):
            raise InvalidArgumentError(
                "tool_choice of type 'tool' needs a toolName string", argument="toolChoice"
            )
        return {"allowed_tools": {"mode": "validated", "tools": [name]}}
    raise InvalidArgumentError(
        f"tool_choice type must be 'auto', 'none', 'required' or 'tool', got {kind!r}",
        argument="toolChoice",
    )


def prepare_interactions_tools(
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Mapping[str, Any] | None = None,
) -> PreparedTools:
    """Map AI SDK ``tools``/``tool_choice`` to the Interactions request fields."""
    warnings: list[parts.Warning] = []
    if tools is not None and not isinstance(tools, list | tuple):
        raise InvalidArgumentError(
            f"tools must be a list of tool objects, got {type(tools).__name__}", argument="tools"
        )
    if not tools or (isinstance(tool_choice, Mapping) and tool_choice.get("type") == "none"):
        return PreparedTools(tools=None, tool_choice=None, warnings=warnings)

    mapped: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise InvalidArgumentError(
                f"tools[{i}] must be a tool object, got {type(tool).__name__}", argument="tools"
            )
        kind = tool.get("type")
        if kind == "function":
            name = tool.get("name")
            if not isinstance(name, str):
                raise InvalidArgumentError(
                    f"tools[{i}].name must be a string, got {type(name).__name__}",
                    argument="tools",
                )
            description = tool.get("description")
            function: dict[str, Any] = {
                "type": "function",
                "name": name,
                "description": "" if description is None else description,
            }
            if tool.get("inputSchema") is not None:
                function["parameters"] = tool["inputSchema"]
            mapped.append(function)
        elif kind == "provider":
            tool_id = tool.get("id")
            args = tool.get("args")
            built = _provider_tool(tool_id, args if isinstance(args, Mapping) else {})
            if built is None:
                warnings.append(
                    parts.UnsupportedWarning(
                        feature=f"provider-defined tool {tool_id}",
                        details=f"provider-defined tool {tool_id} is not supported by "
                        "google.interactions; tool dropped.",
                    )
                )
            else:
                mapped.append(built)
        else:
            warnings.append(
                parts.UnsupportedWarning(
                    feature=f"tool of type {kind}",
                    details="Only function tools and google.* provider-defined tools are "
                    "supported by google.interactions; tool dropped.",
                )
            )

    # `tool_choice` is function-calling config: the API refuses it without function tools.
    choice = None if tool_choice is None else _tool_choice(tool_choice)
    if not any(t["type"] == "function" for t in mapped):
        choice = None
    return PreparedTools(tools=mapped or None, tool_choice=choice, warnings=warnings)
