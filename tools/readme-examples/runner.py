"""Runs the Python translations of the README's examples (generated as snippet_<line>.py by readme-examples.ts)
against the installed cdk-decoupling-patterns wheel, and writes each example's synthesized template to the JSON
file named by the first argument: {"<README line>": {"template": ...} or {"error": "..."}}.
"""

import importlib
import json
import os
import sys
import traceback

import aws_cdk as cdk


class Fixture(cdk.Stack):
    """The stack the example runs in, as rosetta/default.ts-fixture gives it in TypeScript."""

    def __init__(self, scope, id, body):
        super().__init__(scope, id)
        body(self)


def main(out_path, settings):
    results = {}
    with open(os.path.join(settings["dir"], "lines.json"), encoding="utf-8") as handle:
        lines = json.load(handle)
    # Started in the project directory of stand-in assets (see readme-examples.ts), as the TypeScript run is.
    env = cdk.Environment(account=settings["env"]["account"], region=settings["env"]["region"])
    for line in lines:
        try:
            # Imported one by one: an example that is not valid Python fails alone, with its SyntaxError.
            body = importlib.import_module(f"snippet_{line}").build
            # The fixture's stack takes the environment of a Stage, as the TypeScript run does.
            stage = cdk.Stage(cdk.App(context=settings["context"]), "Examples", env=env)
            Fixture(stage, "Fixture", body)
            results[str(line)] = {"template": stage.synth().get_stack_by_name("Examples-Fixture").template}
        except Exception as error:  # noqa: BLE001 - every failure of an example is reported, not raised
            results[str(line)] = {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
