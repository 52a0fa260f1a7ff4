// Tool-calling fixtures from llama.cpp's own chat code (common/chat.cpp): for one chat template,
//   - the prompt common_chat_templates_apply renders for conversations with tools, an assistant tool
//     call and a tool result (role "tool"), and
//   - what common_chat_parse makes of model outputs in the template's tool-call syntax,
// printed as one JSON document that ToolCallFixtureTest compares longlm's rendering and parsing with.
//   usage: tool_call_fixtures TEMPLATE.jinja BOS EOS OUTPUT... > fixture.json
// Each OUTPUT is a model reply to parse (with the template's tools, tool_choice auto, parallel calls on).
// The date the Llama 3.x templates print is pinned through chat_template_kwargs.
#include "chat.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

using json = nlohmann::ordered_json;

static common_chat_msg message(const std::string & role, const std::string & content) {
    common_chat_msg m;
    m.role = role;
    m.content = content;
    return m;
}

static json to_json(const common_chat_msg & m) {
    json out = {{"role", m.role}, {"content", m.content}};
    if (!m.tool_calls.empty()) {
        json calls = json::array();
        for (const auto & c : m.tool_calls) {
            calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
        }
        out["tool_calls"] = calls;
    }
    if (!m.tool_call_id.empty()) {
        out["tool_call_id"] = m.tool_call_id;
    }
    if (!m.tool_name.empty()) {
        out["name"] = m.tool_name;
    }
    return out;
}

int main(int argc, char ** argv) {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " TEMPLATE.jinja BOS EOS [OUTPUT...]\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream source;
    source << in.rdbuf();
    auto templates = common_chat_templates_init(nullptr, source.str(), argv[2], argv[3]);

    common_chat_tool weather;
    weather.name = "get_weather";
    weather.description = "Get the current weather in a city";
    weather.parameters = R"({"type": "object", "properties": {"location": {"type": "string", "description": "The city"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]})";
    common_chat_tool time;
    time.name = "get_time";
    time.description = "Get the local time in a city";
    time.parameters = R"({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})";
    std::vector<common_chat_tool> tools = {weather, time};

    common_chat_msg call = message("assistant", "");
    call.tool_calls.push_back({"get_weather", R"({"location": "Paris", "unit": "celsius"})", "call00001"});
    common_chat_msg result = message("tool", R"({"temperature": 21, "sky": "clear"})");
    result.tool_call_id = "call00001";
    result.tool_name = "get_weather";

    std::vector<std::vector<common_chat_msg>> conversations = {
        {message("user", "What is the weather in Paris?")},
        {message("system", "You are a weather bot."), message("user", "What is the weather in Paris?")},
        {message("user", "What is the weather in Paris?"), call, result},
        {message("user", "What is the weather in Paris?"), call, result, message("assistant", "It is 21 degrees and clear."),
         message("user", "Thanks!")},
    };

    json tools_json = json::array();
    for (const auto & t : tools) {
        tools_json.push_back({{"type", "function"}, {"function", {{"name", t.name}, {"description", t.description},
                                                                  {"parameters", json::parse(t.parameters)}}}});
    }
    json cases = json::array();
    for (const auto & conversation : conversations) {
        common_chat_templates_inputs inputs;
        inputs.messages = conversation;
        inputs.tools = tools;
        inputs.add_generation_prompt = true;
        inputs.parallel_tool_calls = true;
        inputs.chat_template_kwargs["date_string"] = "\"26 Jul 2024\"";
        json messages = json::array();
        for (const auto & m : conversation) {
            messages.push_back(to_json(m));
        }
        json entry = {{"messages", messages}, {"add_generation_prompt", true}, {"date_string", "26 Jul 2024"}};
        try {
            entry["prompt"] = common_chat_templates_apply(templates.get(), inputs).prompt;
        } catch (const std::exception & e) {
            entry["error"] = e.what();
        }
        cases.push_back(entry);
    }

    json parses = json::array();
    common_chat_templates_inputs inputs;
    inputs.messages = {message("user", "What is the weather in Paris?")};
    inputs.tools = tools;
    inputs.parallel_tool_calls = true;
    inputs.chat_template_kwargs["date_string"] = "\"26 Jul 2024\"";
    auto params = common_chat_templates_apply(templates.get(), inputs);
    common_chat_parser_params syntax(params);
    syntax.parser.load(params.parser);
    for (int i = 4; i < argc; i++) {
        json entry = {{"output", argv[i]}};
        try {
            entry["message"] = to_json(common_chat_parse(argv[i], false, syntax));
        } catch (const std::exception & e) {
            entry["error"] = e.what();
        }
        parses.push_back(entry);
    }
    json out = {{"bos_token", argv[2]}, {"eos_token", argv[3]}, {"tools", tools_json}, {"cases", cases}, {"parses", parses}};
    std::cout << out.dump(2) << "\n";
    return 0;
}
