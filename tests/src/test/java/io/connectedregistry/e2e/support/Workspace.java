package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where the tests write (under {@code tests/target/e2e}) and where the shared tools are. */
public final class Workspace {

  private Workspace() {}

  /** {@code tests/target/e2e}: everything the suite writes lives here, so {@code mvn clean} removes it. */
  public static Path root() {
    String basedir = System.getProperty("basedir", Paths.get("").toAbsolutePath().toString());
    Path root = Paths.get(basedir, "target", "e2e").toAbsolutePath().normalize();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return root;
  }

  /** A new empty folder {@code target/e2e/NAME} (an older one of that name is removed first). */
  public static Path dir(String name) {
    Path d = root().resolve(name);
    deleteRecursively(d);
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return d;
  }

  /** The shared tools folder ({@code -Dshared.tools}, default {@code ../../shared/tools}). */
  public static Path sharedTools() {
    String p = System.getProperty("shared.tools");
    Path tools = p != null ? Paths.get(p) : Paths.get("").toAbsolutePath().resolve("../../shared/tools");
    return tools.toAbsolutePath().normalize();
  }

  public static Path sharedTool(String name) {
    Path tool = sharedTools().resolve(name);
    if (!Files.isRegularFile(tool)) {
      throw new AssertionError("shared tool missing: " + tool + " (set -Dshared.tools)");
    }
    return tool;
  }

  public static void deleteRecursively(Path d) {
    if (!Files.exists(d)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(d)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
