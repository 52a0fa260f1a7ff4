#!/usr/bin/env python3
"""Renders small Jinja templates with Python's jinja2 (the engine Hugging Face's apply_chat_template
runs, configured as it configures it: trim_blocks, lstrip_blocks, loop controls) and writes
src/test/resources/golden/chat/jinja-python-semantics.json, which JinjaSemanticsTest renders with
JinjaChatTemplate and compares character for character.

The cases are the Python-Jinja behaviours chat templates rely on that jinjava does not have by itself:
`not x is test` (tests bind tighter than `not`), loop.previtem / loop.nextitem, the items filter,
trim of an undefined value, lstrip_blocks only at the start of a line, `is iterable` on strings and mappings; and text that only looks like
them (outside tags, inside string literals), which must be left alone.

    python3 tools/golden/chat/make-jinja-semantics.py        # needs jinja2 (python3-jinja2)
"""
import json
import pathlib

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

CASES = [
    ("not-is-defined", "{% if not tools is defined %}no tools{% else %}{{ tools|length }} tools{% endif %}",
     [{"tools": [1, 2]}, {}]),
    ("not-is-none", "{% if not x is none %}set{% else %}unset{% endif %}|{% if not x is not none %}unset{% else %}set{% endif %}",
     [{"x": "a"}, {"x": None}]),
    ("not-subscript-is-string",
     "{% for m in messages %}{% if not m['content'] is string %}parts{% else %}{{ m['content'] }}{% endif %};{% endfor %}",
     [{"messages": [{"content": "hi"}, {"content": [{"type": "text"}]}]}]),
    ("not-attribute-is-defined", "{% if not message.tool_call_id is defined %}none{% else %}{{ message.tool_call_id }}{% endif %}",
     [{"message": {"tool_call_id": "abc"}}, {"message": {}}]),
    ("look-alikes-left-alone",
     "Do not tools is defined here, loop.previtem too. {{ 'not a is b' }} {{ \"not c is d\" }}{# not e is f #}",
     [{}]),
    ("previtem-nextitem",
     "{% for m in messages %}{% if loop.previtem %}<{{ loop.previtem.role }}{% endif %}[{{ m.role }}]"
     "{% if not loop.last %}{{ loop.nextitem.role }}>{% endif %} {% endfor %}",
     [{"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "tool"}]}]),
    ("previtem-nested-loops",
     "{% for a in outer %}{% for b in inner %}{{ a }}{{ b }}{% if loop.previtem %}/{{ loop.previtem }}{% endif %} {% endfor %}"
     "{% if loop.previtem %}({{ loop.previtem }}){% endif %}{% endfor %}",
     [{"outer": ["x", "y"], "inner": ["1", "2"]}]),
    ("items", "{% for k, v in props|items %}{{ k }}={{ v }};{% endfor %}",
     [{"props": {"location": "city", "unit": "celsius"}}, {"props": {}}]),
    ("trim", "[{{ text|trim }}][{{ missing|trim }}][{{ text|trim(' \\n') }}][{{ '--x-y--'|trim('-') }}]",
     [{"text": "  two words \n\t"}]),
    ("lstrip-blocks", "a {% if x %}b{% endif %} c\n  {% if x %}indented\n  {% endif %}\n\t{# note #}\n  {%+ if x %}kept{% endif %}\n"
                      "  {{ x }}\n{% for v in [1, 2] %}{{ v }} {% endfor %}|\n    {%- if x %} dash{% endif %}",
     [{"x": "y"}, {"x": ""}]),
    ("is-iterable",
     "{% for v in values %}{{ 'i' if v is iterable else 'n' }}{{ 'm' if v is mapping else '' }}{% endfor %}",
     [{"values": ["text", [1], {"a": 1}, 3, None, True]}]),
]


def main():
    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                extensions=["jinja2.ext.loopcontrols"])
    cases = []
    for name, source, contexts in CASES:
        template = environment.from_string(source)
        for context in contexts:
            cases.append({"name": name, "template": source, "context": context, "output": template.render(**context)})
    out = pathlib.Path(__file__).resolve().parents[3] / "src/test/resources/golden/chat/jinja-python-semantics.json"
    document = {"engine": "jinja2 " + jinja2.__version__, "cases": cases}
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(out)
    print(f"{len(cases)} cases written to {out}")


if __name__ == "__main__":
    main()
