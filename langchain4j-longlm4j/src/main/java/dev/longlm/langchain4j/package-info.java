/**
 * LangChain4j on longlm4j: {@link dev.longlm.langchain4j.LongLmChatModel} and
 * {@link dev.longlm.langchain4j.LongLmStreamingChatModel}, built by {@link dev.longlm.langchain4j.LongLmChatModel#builder()}.
 *
 * <pre>{@code
 * LongLmChatModel model = LongLmChatModel.builder().modelPath(Path.of("model.gguf"))
 *         .contextChoice(ContextChoice.selfExtend()).maxTokens(256).build();
 * Summary s = AiServices.create(Summariser.class, model).summarise(longDocument);   // a record, JSON-schema enforced
 * }</pre>
 *
 * Both models advertise {@link dev.langchain4j.model.chat.Capability#RESPONSE_FORMAT_JSON_SCHEMA}: a JSON-schema
 * response format is compiled to a grammar that sampling cannot leave. Tool calling is not supported yet (a request
 * with tools is an {@link dev.langchain4j.exception.UnsupportedFeatureException}). Thread-safe; requests to one model
 * run one at a time.
 */
package dev.longlm.langchain4j;
