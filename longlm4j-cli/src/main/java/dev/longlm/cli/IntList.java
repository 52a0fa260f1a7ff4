package dev.longlm.cli;

import dev.longlm.InputException;

import java.util.Arrays;

/** Comma-separated numbers from an option such as --lengths 256,512,1024. */
final class IntList {
    private IntList() {
    }

    static int[] parse(String option, String text, int min) {
        try {
            int[] values = Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
            if (values.length == 0) {
                throw new InputException(option + " is empty; give comma-separated numbers such as 256,512,1024");
            }
            for (int v : values) {
                if (v < min) {
                    throw new InputException(option + " values must be at least " + min + ", got " + v);
                }
            }
            return values;
        } catch (NumberFormatException e) {
            throw new InputException(option + " takes comma-separated whole numbers, got '" + text + "'");
        }
    }

    static double[] parseFractions(String option, String text) {
        try {
            double[] values = Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .mapToDouble(Double::parseDouble).toArray();
            for (double v : values) {
                if (!(v >= 0 && v <= 1)) {
                    throw new InputException(option + " values must be between 0 and 1, got " + v);
                }
            }
            if (values.length == 0) {
                throw new InputException(option + " is empty; give comma-separated fractions such as 0,0.25,0.5,0.75,1");
            }
            return values;
        } catch (NumberFormatException e) {
            throw new InputException(option + " takes comma-separated numbers between 0 and 1, got '" + text + "'");
        }
    }
}
