package io.kstatefun.examples.dev;

import io.kstatefun.routing.module.ModuleParser;
import io.kstatefun.routing.module.ModuleSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads an example's {@code module.yaml} (the file next to the example's README, packaged at {@code
 * kstatefun-examples/<example>/module.yaml}) and points it at a given broker and function server.
 *
 * <p>The files are written for a broker on {@code localhost:9092} and a function server on {@code
 * http://localhost:<port>}, so that {@code bin/kstatefun run --module
 * examples/<example>/module.yaml} works as documented. The tests and the dev demo load the very
 * same files and only replace those two addresses.
 */
public final class ExampleModule {

  /** The broker address written in the module files. */
  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";

  private static final Pattern FUNCTION_BASE_URL = Pattern.compile("http://localhost:\\d+");

  private ExampleModule() {}

  /** The module file of {@code example} as written in the repository. */
  public static String yaml(String example) {
    String resource = "kstatefun-examples/" + example + "/module.yaml";
    try (InputStream in = ExampleModule.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no module file for example '" + example + "' (" + resource + ")");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /**
   * The module file of {@code example} with its broker address replaced by {@code bootstrap} and
   * its function endpoint's {@code http://localhost:<port>} replaced by {@code functionBaseUrl}
   * (e.g. {@code http://127.0.0.1:41234}).
   *
   * @throws IllegalStateException if the file does not contain both default addresses
   */
  public static String yaml(String example, String bootstrap, String functionBaseUrl) {
    String yaml = yaml(example);
    if (!yaml.contains(DEFAULT_BOOTSTRAP) || !FUNCTION_BASE_URL.matcher(yaml).find()) {
      throw new IllegalStateException(
          "the module file of '"
              + example
              + "' names neither "
              + DEFAULT_BOOTSTRAP
              + " nor an http://localhost:<port> endpoint");
    }
    String pointed = yaml.replace(DEFAULT_BOOTSTRAP, bootstrap);
    return FUNCTION_BASE_URL.matcher(pointed).replaceAll(Matcher.quoteReplacement(functionBaseUrl));
  }

  /** Parses {@link #yaml(String, String, String)}. */
  public static ModuleSpec load(String example, String bootstrap, String functionBaseUrl) {
    return ModuleParser.parse(yaml(example, bootstrap, functionBaseUrl), example + "/module.yaml");
  }
}
