package dev.longlm;

/**
 * Bad input the user can fix: a missing or corrupt file, an unsupported tensor type, a prompt that
 * does not fit, an invalid option. The message is one line that says what is wrong and what to do;
 * front ends print it without a stack trace (CLI exit code 2, HTTP 4xx).
 */
public class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
