/**
 * Output constrained by a JSON schema (artifact {@code longlm4j-structured}, which brings Jackson): the
 * schema becomes a grammar that sampling cannot leave, so the text is always JSON the schema accepts.
 *
 * <pre>{@code
 * OutputGrammar person = JsonSchemaOutput.grammar("""
 *         {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}""");
 * GenerationResult r = model.generate(prompt, GenerationOptions.greedy(64).withGrammar(person), TokenListener.NONE);
 * }</pre>
 */
package dev.longlm.api.json;
