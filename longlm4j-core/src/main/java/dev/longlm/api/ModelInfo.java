package dev.longlm.api;

/**
 * What a loaded model is: its architecture ({@code general.architecture}), the context it was trained on,
 * its vocabulary size and layer count, and the backend it runs on.
 */
public record ModelInfo(String architecture, int trainedContext, int vocabSize, int layers, String device) {
}
