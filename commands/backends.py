"""List the generator plugins: which are available, what they need, and their options; then the
face models and theirs.

A plugin that failed to load is listed as unavailable with the reason. Options are given to
`talkrig generate` as --option NAME=VALUE (generators) and --face-option NAME=VALUE (face).
`--json` prints the generators only, as before.
"""

HELP = "list the motion generators and face models with their availability and options"


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the list as JSON")


def run(args):
    import json

    from ..inference.generation.face import list_face_models
    from ..inference.generation.generators import list_generators

    items = list_generators()
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for item in items:
        print(f"{item['name']}  ({generator_state(item)})")
        if item.get("summary"):
            print(f"  {item['summary']}")
        caps = item.get("capabilities") or {}
        if caps:
            flags = [k for k in ("needs_data", "needs_model", "stochastic", "initial_pose", "streaming") if caps.get(k)]
            fps = f", {caps['fps']:g} fps" if caps.get("fps") else ""
            print(f"  capabilities: {', '.join(flags) or 'none'}{fps}")
        print_options(item.get("options"), "--option")
        print()
    print("face models (--face NAME, or none):")
    for item in list_face_models():
        state = "available" if item["available"] else f"unavailable: {item['error']}"
        print(f"{item['name']}  ({state})")
        if item.get("summary"):
            print(f"  {item['summary']}")
        print_options(item.get("options"), "--face-option")
    return 0


def generator_state(item):
    """"available", or why the generator cannot generate yet: not loadable, or a learned
    backend with no trained model where it looks by default."""
    if not item["available"]:
        return f"unavailable: {item['error']}"
    model = item.get("model") or {}
    if model and not model.get("found"):
        return (f"needs a trained model: none in {model.get('default_dir')}; train one with "
                f"`{model.get('train')}` or pass --option model=DIR")
    return "available"


def print_options(options, flag):
    for opt in options or []:
        bounds = ""
        if opt.get("choices"):
            bounds = " one of " + "|".join(map(str, opt["choices"]))
        elif opt.get("min") is not None or opt.get("max") is not None:
            bounds = f" in [{opt.get('min')}, {opt.get('max')}]"
        default = "required" if opt.get("required") else f"default {opt.get('default')!r}"
        print(f"  {flag} {opt['name']}=<{opt['type']}>{bounds} ({default}): {opt.get('help', '')}")
