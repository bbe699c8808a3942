package io.connectedregistry;

import io.connectedregistry.launcher.Launcher;
import java.io.File;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a server's command line with picocli in a class loader of its own, which is then dropped.
 * Classes stay loaded as long as their loader lives, and picocli's model of even the server's five
 * options loads ~570 classes (its model, its 30 built-in converters, the java.time and java.sql
 * types they convert to): ~2 MiB of metaspace a server kept for good, for one look at its
 * arguments. Loaded here, they go at the next full collection with the loader
 * (bench/README.md, issue #13, eighth session).
 *
 * <p>Picocli there runs the same {@link Main#commandLineFor} on a copy of {@link Main} (the loader
 * reads the same class path, and its parent is the platform loader, so nothing of the
 * application's is shared) and answers the options as strings, or nothing when the arguments are
 * not a plain server start: a subcommand, help, a version request or a mistake. {@link Main}
 * then runs those with picocli as before, in its own loader, so that the messages and exit codes
 * are picocli's own.
 *
 * <p>Under the launcher, a restart with the same arguments takes the answer from {@link
 * ServerOptionsCache} instead: picocli's classes cannot come from the class-data archive.
 */
final class ServerArguments {
  private static final String LOADER_NAME = "command-line";

  private ServerArguments() {}

  /**
   * The options of a plain server start (names without dashes, as {@link Main#serverOptions}
   * gives them), or empty: not a server start, or the isolated reading failed (the caller then
   * reads them itself).
   */
  static Optional<Map<String, String>> read(String[] args) {
    String cache = System.getProperty(Launcher.SERVER_OPTIONS);
    if (cache != null) {
      Optional<Map<String, String>> known = ServerOptionsCache.read(Path.of(cache), args);
      if (known.isPresent()) {
        return known;
      }
    }
    Optional<Map<String, String>> read = isolated(args);
    if (cache != null && read.isPresent()) {
      ServerOptionsCache.write(Path.of(cache), args, read.get());
    }
    return read;
  }

  private static Optional<Map<String, String>> isolated(String[] args) {
    try (URLClassLoader isolated =
        new URLClassLoader(LOADER_NAME, classPath(), ClassLoader.getPlatformClassLoader())) {
      Method serverOptions = Class.forName(Main.class.getName(), true, isolated)
          .getDeclaredMethod("serverOptions", String[].class);
      @SuppressWarnings("unchecked")
      Map<String, String> options = (Map<String, String>) serverOptions.invoke(null, (Object) args.clone());
      return Optional.ofNullable(options).map(Map::copyOf);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException | java.io.IOException e) {
      return Optional.empty();
    }
  }

  /** This JVM's class path ({@code java -jar}: the jar) as URLs for the isolated loader. */
  private static URL[] classPath() throws MalformedURLException {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    return urls.toArray(URL[]::new);
  }
}
