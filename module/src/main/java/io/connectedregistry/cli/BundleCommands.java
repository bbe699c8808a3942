package io.connectedregistry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.connectedregistry.bundle.BundleException;
import io.connectedregistry.bundle.BundleExporter;
import io.connectedregistry.bundle.Compression;
import io.connectedregistry.bundle.Since;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code bundle} commands: offline bundles that carry images to a site without a link.
 * {@code export} reads a data folder (of a stopped or a running registry) and writes an OCI image
 * layout as one tar stream. {@code Main} lists {@link BundleCommand} among its subcommands.
 */
public final class BundleCommands {
  private static final String NAME = "connected-registry";
  private static final int USAGE = 2;
  private static final int FAILURE = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BundleCommands() {}

  @Command(
      name = "bundle",
      mixinStandardHelpOptions = true,
      versionProvider = ManifestVersion.class,
      synopsisSubcommandLabel = "COMMAND",
      description = "Move images on a disk: write or read offline bundles (OCI image layouts in a tar stream).",
      subcommands = {BundleCommand.Export.class, BundleImportCommand.class})
  public static final class BundleCommand extends CommandGroup {

    @Command(
        name = "export",
        mixinStandardHelpOptions = true,
        versionProvider = ManifestVersion.class,
        description = {
          "Write the tags of some repositories, with their images and referrers, into a bundle file.",
          "Works on the data folder of a stopped or a running registry. With --since, only what changed"
              + " after that cursor, and only the blobs the target lacks.",
          "Prints a JSON summary (with the bundle's cursor) unless the bundle goes to stdout."
        })
    static final class Export implements Callable<Integer> {
      @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file")
      String config;

      @Option(names = "--data", paramLabel = "DIR", description = "data folder")
      String data;

      @Option(
          names = "--repository",
          required = true,
          arity = "1..*",
          paramLabel = "REPOSITORY",
          description = "a repository to export (repeat, or list several)")
      List<String> repositories;

      @Option(
          names = "--since",
          paramLabel = "BUNDLE_OR_CURSOR",
          description = "an earlier bundle of this store (its cursor is read), or a cursor number:"
              + " export only what changed after it")
      String since;

      @Option(
          names = {"-o", "--output"},
          required = true,
          paramLabel = "FILE",
          description = "FILE.tar, FILE.tar.gz or FILE.tar.zst (the name picks the compression);"
              + " - for stdout")
      String output;

      @Option(
          names = "--compression",
          paramLabel = "none|gzip|zstd",
          description = "compression of the stream with -o - (default none)")
      String compression;

      @Option(
          names = "--progress",
          negatable = true,
          description = "show progress on stderr (default: only on a terminal)")
      Boolean progress;

      @Override
      public Integer call() throws Exception {
        CliLogging.toStderr();
        boolean toStdout = output.equals("-");
        Compression chosen;
        if (toStdout) {
          chosen = compression == null ? Compression.NONE : named(compression);
          if (chosen == null) {
            return usage("--compression must be none, gzip or zstd, not " + compression);
          }
        } else {
          if (compression != null) {
            return usage("--compression goes with -o - only: a file's name picks its compression");
          }
          chosen = Compression.forFileName(output);
          if (chosen == null) {
            return usage("-o " + output + ": the file name must end in .tar, .tar.gz or .tar.zst");
          }
        }
        RegistryConfig loaded =
            ConfigLoader.fromSystemEnvironment().load(Flags.none().withConfig(config).withData(data));
        try {
          BundleExporter exporter = new BundleExporter(loaded.data(), Clock.systemUTC());
          BundleExporter.Request request =
              new BundleExporter.Request(repositories, since == null ? null : Since.parse(since));
          var listener = TransferProgress.of(progress, "Export");
          if (toStdout) {
            warnAboutDockerFormat(exporter.exportTo(request, System.out, chosen, listener));
            // System.out swallows write errors (a closed pipe): without this check a cut-off
            // bundle would end with exit 0.
            if (System.out.checkError()) {
              System.err.println(NAME + ": writing the bundle to stdout failed (was the pipe closed?)");
              return FAILURE;
            }
            return 0;
          }
          Path file = Path.of(output);
          BundleExporter.Result result = exporter.exportToFile(request, file, chosen, listener);
          warnAboutDockerFormat(result);
          System.out.println(JSON.writeValueAsString(summary(file, result)));
          return 0;
        } catch (BundleException e) {
          System.err.println(NAME + ": " + e.getMessage());
          return e.usersToFix() ? USAGE : FAILURE;
        }
      }

      /** Not an error: the bundle is whole, and this registry's import reads every tag of it. */
      private static void warnAboutDockerFormat(BundleExporter.Result result) {
        List<String> tags = result.dockerFormatTags();
        if (!tags.isEmpty()) {
          System.err.println(NAME + ": note: " + tags.size() + " tag(s) point at Docker-format manifests ("
              + String.join(", ", tags.subList(0, Math.min(5, tags.size()))) + (tags.size() > 5 ? ", ..." : "")
              + "): skopeo's oci-archive transport does not list them; connected-registry bundle import reads"
              + " them");
        }
      }

      private static Compression named(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
          case "none" -> Compression.NONE;
          case "gzip" -> Compression.GZIP;
          case "zstd" -> Compression.ZSTD;
          default -> null;
        };
      }

      private static Map<String, Object> summary(Path file, BundleExporter.Result result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", file.toAbsolutePath().normalize().toString());
        out.put("store", result.metadata().store());
        out.put("cursor", result.metadata().cursor());
        out.put("since", result.metadata().since());
        out.put("repositories", result.metadata().repositories());
        out.put("images", result.images());
        out.put("manifests", result.manifests());
        out.put("blobs", result.blobs());
        out.put("omittedBlobs", result.metadata().omittedBlobs().size());
        out.put("deletedTags", result.metadata().deletedTags().size());
        out.put("deletedManifests", result.metadata().deletedManifests().size());
        out.put("bytes", result.bytes());
        return out;
      }
    }
  }

  private static int usage(String message) {
    System.err.println(NAME + ": " + message);
    return USAGE;
  }
}
