// Renders chat templates with llama.cpp's own Jinja engine (common_chat_templates_apply, use_jinja)
// for a fixed set of conversations and prints one JSON fixture per template to stdout.
//   usage: chat_template_fixtures TEMPLATE.jinja BOS EOS > fixture.json
// The date llama.cpp injects (date_string) is pinned through chat_template_kwargs so the output
// does not depend on the day the fixtures were made.
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

int main(int argc, char ** argv) {
    if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " TEMPLATE.jinja BOS EOS\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream source;
    source << in.rdbuf();
    auto templates = common_chat_templates_init(nullptr, source.str(), argv[2], argv[3]);

    std::vector<std::vector<common_chat_msg>> conversations = {
        {message("user", "Hello!")},
        {message("system", "You are a terse assistant."), message("user", "What is 2+2?")},
        {message("system", "  Answer in French.  "), message("user", "Hi there"),
         message("assistant", "Bonjour !"), message("user", "How are you?\nTell me.")},
        {message("user", "First"), message("assistant", "Second"), message("user", "Third \"quoted\" {braces}")},
    };

    json cases = json::array();
    for (const auto & conversation : conversations) {
        for (bool add_generation_prompt : {true, false}) {
            common_chat_templates_inputs inputs;
            inputs.messages = conversation;
            inputs.use_jinja = true;
            inputs.add_generation_prompt = add_generation_prompt;
            inputs.chat_template_kwargs["date_string"] = "\"26 Jul 2024\"";
            auto params = common_chat_templates_apply(templates.get(), inputs);
            json messages = json::array();
            for (const auto & m : conversation) {
                messages.push_back({{"role", m.role}, {"content", m.content}});
            }
            cases.push_back({{"messages", messages},
                             {"add_generation_prompt", add_generation_prompt},
                             {"date_string", "26 Jul 2024"},
                             {"prompt", params.prompt}});
        }
    }
    json out = {{"bos_token", argv[2]}, {"eos_token", argv[3]}, {"cases", cases}};
    std::cout << out.dump(2) << "\n";
    return 0;
}
