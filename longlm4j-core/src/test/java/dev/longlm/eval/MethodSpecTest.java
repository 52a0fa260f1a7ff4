package dev.longlm.eval;

import dev.longlm.InputException;
import dev.longlm.attention.ContextMethod;
import dev.longlm.attention.LinearScaling;
import dev.longlm.attention.NtkScaling;
import dev.longlm.attention.StreamingWindow;
import dev.longlm.attention.Yarn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodSpecTest {
    @Test
    void parsesAListOfMethods() {
        List<MethodSpec> specs = MethodSpec.parseList("none, self-extend:16:64,yarn,linear:2,streaming:4:124");
        assertEquals(List.of("none", "self-extend G16 W64", "yarn", "linear s=2", "streaming 4+124"),
                specs.stream().map(MethodSpec::label).toList());
    }

    @Test
    void selfExtendStopsAtItsMaximumLength() {
        MethodSpec se = MethodSpec.parse("self-extend:8:64");
        // (256 - 64) * 8 + 64 = 1600, as in the model card's "–" cells.
        assertTrue(se.resolve(256, 1600).isPresent());
        assertTrue(se.resolve(256, 2048).isEmpty());
        assertEquals(Map.of("method", "self-extend", "group_size", 8, "window", 64), se.resolve(256, 1024).orElseThrow().settings());
        // Plain attention runs past the trained context (that is what the evaluations measure).
        assertTrue(MethodSpec.none().resolve(256, 4096).isPresent());
    }

    @Test
    void frequencyMethodsScaleToEachLength() {
        ContextMethod yarn = MethodSpec.parse("yarn").resolve(256, 2048).orElseThrow();
        assertEquals(8.0, ((Yarn) yarn).factor());
        assertEquals(1.0, ((LinearScaling) MethodSpec.parse("linear").resolve(256, 128).orElseThrow()).factor());
        assertEquals(4.0, ((NtkScaling) MethodSpec.parse("ntk:4").resolve(256, 512).orElseThrow()).factor());
        assertTrue(MethodSpec.parse("ntk:4").resolve(256, 2048).isEmpty());
        assertEquals(252, ((StreamingWindow) MethodSpec.parse("streaming").resolve(256, 4096).orElseThrow()).recent());
    }

    @Test
    void badSpecsAreInputErrors() {
        assertThrows(InputException.class, () -> MethodSpec.parse("self-extend:16"));
        assertThrows(InputException.class, () -> MethodSpec.parse("self-extend:16:60"));
        assertThrows(InputException.class, () -> MethodSpec.parse("rope-magic"));
        assertThrows(InputException.class, () -> MethodSpec.parse("linear:x"));
        assertThrows(InputException.class, () -> MethodSpec.parse("linear:0.5"));
        assertThrows(InputException.class, () -> MethodSpec.parseList(" , "));
    }
}
