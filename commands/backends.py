"""List the generator plugins: which are available, what they need, and their options.

A plugin that failed to load is listed as unavailable with the reason. Options are given to
`talkrig generate` as --option NAME=VALUE.
"""

HELP = "list the motion generators with their availability and options"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args):
    import json

    from ..inference.generators import list_generators

    items = list_generators()
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for item in items:
        state = "available" if item["available"] else f"unavailable: {item['error']}"
        print(f"{item['name']}  ({state})")
        if item.get("summary"):
            print(f"  {item['summary']}")
        caps = item.get("capabilities") or {}
        if caps:
            flags = [k for k in ("needs_data", "needs_model", "stochastic", "initial_pose", "streaming") if caps.get(k)]
            fps = f", {caps['fps']:g} fps" if caps.get("fps") else ""
            print(f"  capabilities: {', '.join(flags) or 'none'}{fps}")
        for opt in item.get("options") or []:
            bounds = ""
            if opt.get("choices"):
                bounds = " one of " + "|".join(map(str, opt["choices"]))
            elif opt.get("min") is not None or opt.get("max") is not None:
                bounds = f" in [{opt.get('min')}, {opt.get('max')}]"
            default = "required" if opt.get("required") else f"default {opt.get('default')!r}"
            print(f"  --option {opt['name']}=<{opt['type']}>{bounds} ({default}): {opt.get('help', '')}")
        print()
    return 0
