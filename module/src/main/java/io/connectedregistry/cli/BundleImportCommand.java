package io.connectedregistry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.connectedregistry.bundle.ImportReport;
import io.connectedregistry.bundle.OfflineImport;
import io.connectedregistry.bundle.TransferListener;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.StorageException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code connected-registry bundle import FILE}: a bundle (or a skopeo {@code oci-archive}, or a
 * {@code docker save} archive) into a stopped registry's data folder ({@code --data} /
 * {@code --config}), or into a running one through its admin API ({@code --server URL}, the body
 * streamed). Prints the import's JSON report; progress on stderr on a terminal.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    versionProvider = ManifestVersion.class,
    description = {
      "Import a bundle, a skopeo oci-archive or a docker save archive (tar, tar.gz or tar.zst).",
      "Offline on a stopped registry's data folder, or online with --server. All or nothing: a corrupt"
          + " or cut archive changes nothing. A connected registry's sync cursor moves to the bundle's when"
          + " it continues the parent's change log and covers what the registry syncs.",
      "Prints a JSON report."
    })
public final class BundleImportCommand implements Callable<Integer> {
  private static final String NAME = "connected-registry";
  private static final String API = "/_connected/v1/admin/bundles";
  private static final int USAGE = 2;
  private static final int FAILURE = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Parameters(index = "0", paramLabel = "FILE", description = "the archive; - for standard input")
  String file;

  @Option(names = "--repository", paramLabel = "REPOSITORY", description = "the target repository of an"
      + " archive that does not name one (skopeo's oci-archive with a tag only), or for every image of"
      + " another tool's archive")
  String repository;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file (offline)")
  String config;

  @Option(names = "--data", paramLabel = "DIR", description = "data folder of a stopped registry (offline)")
  String data;

  @Option(names = "--server", paramLabel = "URL", description = "a running registry (through its admin API)")
  String server;

  @Option(names = "--username", paramLabel = "TOKEN", description = "an admin token (auth.adminTokens), with"
      + " --server; its password from " + ConnectedRegistryCommands.PASSWORD_VARIABLE + " or --password-stdin")
  String username;

  @Option(names = "--password-stdin", description = "read the admin token's password from the first line of"
      + " standard input")
  boolean passwordStdin;

  @Option(names = "--progress", negatable = true, description = "show progress on stderr (default: only on a"
      + " terminal)")
  Boolean progress;

  @Override
  public Integer call() {
    CliLogging.toStderr();
    if (server != null && (data != null || config != null)) {
      return usage("--server works on a running registry; --data and --config on a stopped one's folder:"
          + " give one or the other");
    }
    if (file.equals("-") && passwordStdin) {
      return usage("--password-stdin and FILE - both read standard input: give the password in "
          + ConnectedRegistryCommands.PASSWORD_VARIABLE);
    }
    TransferListener listener = TransferProgress.of(progress, "Import");
    try (InputStream in = open(listener)) {
      Object report = server != null ? online(in) : offline(in);
      int images = report instanceof ImportReport r ? r.images()
          : report instanceof java.util.Map<?, ?> m && m.get("images") instanceof Number n ? n.intValue() : 0;
      for (int i = 0; i < images; i++) {
        listener.imageDone(); // known once the archive is read whole
      }
      listener.finished();
      System.out.println(JSON.writeValueAsString(report));
      return 0;
    } catch (RegistryException e) {
      listener.finished();
      System.err.println(NAME + ": " + e.detail());
      return e.code().status() < 500 ? USAGE : FAILURE;
    } catch (ConnectedRegistryCommands.Refused e) {
      listener.finished();
      System.err.println(NAME + ": " + e.getMessage());
      return e.status >= 400 && e.status < 500 ? USAGE : FAILURE;
    } catch (IllegalArgumentException e) {
      listener.finished();
      System.err.println(NAME + ": " + e.getMessage());
      return USAGE;
    } catch (IOException | StorageException | java.io.UncheckedIOException e) {
      listener.finished();
      System.err.println(NAME + ": " + e.getMessage());
      return FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return FAILURE;
    }
  }

  private InputStream open(TransferListener listener) throws IOException {
    InputStream raw;
    long size = -1;
    if (file.equals("-")) {
      raw = System.in;
    } else {
      Path path = Path.of(file);
      if (!Files.isRegularFile(path)) {
        throw new IllegalArgumentException(file + ": no such file");
      }
      size = Files.size(path);
      raw = Files.newInputStream(path);
    }
    listener.started(size, -1);
    return new FilterInputStream(raw) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          listener.transferred(1);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          listener.transferred(n);
        }
        return n;
      }
    };
  }

  private ImportReport offline(InputStream in) {
    return OfflineImport.run(OfflineImport.configuration(ConfigLoader.fromSystemEnvironment(),
        Flags.none().withConfig(config).withData(data)), in, repository);
  }

  private Object online(InputStream in) throws IOException, InterruptedException, ConnectedRegistryCommands.Refused {
    if (username == null) {
      throw new IllegalArgumentException("--server needs --username (an admin token)");
    }
    ConnectedRegistryCommands.Target target = new ConnectedRegistryCommands.Target();
    target.passwordStdin = passwordStdin;
    String password = ConnectedRegistryCommands.password(target);
    String base = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    if (!base.startsWith("http://") && !base.startsWith("https://")) {
      throw new IllegalArgumentException("--server must be an http:// or https:// URL, not '" + server + "'");
    }
    String query = repository == null ? "" : "?repository=" + URLEncoder.encode(repository, StandardCharsets.UTF_8);
    String credentials = Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + API + query))
        .header("Authorization", "Basic " + credentials)
        .header("Accept", "application/json")
        .header("Content-Type", "application/octet-stream")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> in))
        .build();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot reach " + base + " (or it closed the connection): " + e, e);
    }
    if (response.statusCode() >= 300) {
      String detail = "HTTP " + response.statusCode();
      try {
        JsonNode error = JSON.readTree(response.body()).path("errors").path(0);
        if (!error.isMissingNode()) {
          detail = error.path("detail").asText(error.path("message").asText(detail));
        }
      } catch (IOException notJson) {
        // keep the status line
      }
      if (response.statusCode() == 401 || response.statusCode() == 403) {
        detail += " (--username must name a token listed in auth.adminTokens, with its password)";
      }
      throw new ConnectedRegistryCommands.Refused(response.statusCode(), detail);
    }
    return JSON.readValue(response.body(), Object.class);
  }

  private static int usage(String message) {
    System.err.println(NAME + ": " + message);
    return USAGE;
  }
}
