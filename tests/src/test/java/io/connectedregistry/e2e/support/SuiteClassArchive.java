package io.connectedregistry.e2e.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One class-data archive for the suite's registries. The launcher makes an archive per data folder
 * at its second start (~3 s and ~35 MB in {@code DATA/jvm}); the suite starts ~480 registries, most
 * of them once on a new folder, so each would start without one: ~0.8 s more CPU a start (the
 * bench's `@small-device.jvmopts` against the launcher, issue #13), most of the suite's CPU on two
 * cores. So it is made once per test JVM, by a registry of its own started twice (the first start
 * records its class list, the second's launcher writes the archive from it, as at any site), and
 * hard-linked into {@code DATA/jvm} of each registry started with the launcher's defaults: the
 * launcher finds it there under its own name, as after a restart, and uses it. Where the link
 * cannot be made (another file system), or the registry's JVM settings differ (its archive would
 * have another name), the registry starts without an archive as before.
 * {@code LauncherTest} still tests how the launcher makes, checks and refuses archives.
 */
final class SuiteClassArchive {
  /** What decides a registry's JVM settings besides the jar's defaults: any of them set, no seeding. */
  private static final java.util.List<String> SETTINGS =
      java.util.List.of("CONNECTED_REGISTRY_CDS", "CONNECTED_REGISTRY_JVM", "JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS");
  private static Optional<Path> archive; // null until tried

  private SuiteClassArchive() {}

  /** Whether a registry started with these settings runs the launcher with its defaults. */
  static boolean applies(Map<String, String> environment, boolean jvmArgs) {
    if (jvmArgs || RegistryProcess.isReferenceDistribution()
        || !System.getProperty("registry.jvmArgs", "").isBlank()) {
      return false;
    }
    for (String name : SETTINGS) {
      if (environment.containsKey(name) || System.getenv(name) != null) {
        return false;
      }
    }
    return true;
  }

  /** Links the suite's archive into {@code dataDir/jvm}; false if there is none or no link can be made. */
  static boolean seed(Path dataDir) {
    Optional<Path> made = archive();
    if (made.isEmpty()) {
      return false;
    }
    try {
      Path folder = Files.createDirectories(dataDir.resolve("jvm"));
      Path link = folder.resolve(made.get().getFileName());
      if (!Files.exists(link)) {
        Files.createLink(link, made.get());
      }
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static synchronized Optional<Path> archive() {
    if (archive == null) {
      archive = make();
    }
    return archive;
  }

  private static Optional<Path> make() {
    RegistryProcess maker = RegistryProcess.prepare("suite-class-archive")
        .withEnv(Map.of("CONNECTED_REGISTRY_CDS", "on"));
    try {
      maker.start();
      maker.stop();
      maker.start(); // its launcher writes the archive from the first start's class list, then execs
      maker.stop();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(maker.dataDir().resolve("jvm"), "cds-*.jsa")) {
        for (Path file : files) {
          return Optional.of(file);
        }
      }
      return Optional.empty();
    } catch (IOException | RuntimeException | AssertionError e) {
      System.err.println("e2e harness: no suite class archive (" + e + "): registries start without one");
      maker.close();
      return Optional.empty();
    }
  }
}
