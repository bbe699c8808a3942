package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test images: {@code make-image.sh} (shared tools) writes OCI layouts, skopeo pushes them. */
public final class Images {
  private Images() {}

  /** The shared tools folder: {@code -Dshared.tools}, else {@code ../../shared/tools} from {@code module/}. */
  static Path tool(String name) {
    String configured = System.getProperty("shared.tools");
    Path tools = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().resolve("../../shared/tools");
    return tools.normalize().resolve(name);
  }

  /** {@code make-image.sh -o layout -t tag -q ARGS}; returns the digest the tag points at. */
  public static Digest make(Path layout, String tag, String... args) {
    List<String> cmd = new ArrayList<>(List.of(tool("make-image.sh").toString(), "-o", layout.toString(), "-t", tag, "-q"));
    cmd.addAll(List.of(args));
    return Digest.parse(run(layout.getParent(), cmd).trim());
  }

  /**
   * {@code skopeo copy oci:layout:tag docker://registry/repository:tag}; returns the digest of the
   * manifest as skopeo pushed it ({@code --digestfile}).
   */
  public static Digest push(Path layout, String tag, String hostPort, String repository, String credentials) {
    return push(layout, tag, hostPort, repository, credentials, false);
  }

  /** For uncompressed layers, which skopeo would otherwise gzip on the way (changing digests). */
  static Digest pushPreservingDigests(Path layout, String tag, String hostPort, String repository) {
    return push(layout, tag, hostPort, repository, null, true);
  }

  private static Digest push(Path layout, String tag, String hostPort, String repository, String credentials,
      boolean preserveDigests) {
    Path work = layout.getParent();
    Path policy = work.resolve("policy.json");
    Path digestFile = work.resolve("pushed-" + repository.replace('/', '_') + "-" + tag + ".digest");
    try {
      Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--policy", policy.toString(), "copy", "-q",
        "--dest-tls-verify=false", "--digestfile", digestFile.toString()));
    if (credentials != null) {
      cmd.add("--dest-creds=" + credentials);
    }
    if (preserveDigests) {
      cmd.add("--preserve-digests");
    }
    cmd.add("oci:" + layout + ":" + tag);
    cmd.add("docker://" + hostPort + "/" + repository + ":" + tag);
    run(work, cmd);
    try {
      return Digest.parse(Files.readString(digestFile).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code skopeo copy docker://registry/repository:tag oci:layout:tag}: a pull, anonymous. */
  public static void pull(String hostPort, String repository, String tag, Path layout) {
    Path work = layout.getParent();
    Path policy = work.resolve("policy.json");
    try {
      Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    run(work, List.of("skopeo", "--policy", policy.toString(), "copy", "-q", "--src-tls-verify=false",
        "docker://" + hostPort + "/" + repository + ":" + tag, "oci:" + layout + ":" + tag));
  }

  /** The layer digests of the image manifest {@code manifest} in the layout. */
  public static List<Digest> layers(Path layout, Digest manifest) {
    JsonObject json = new JsonObject(readString(blob(layout, manifest)));
    JsonArray layers = json.getJsonArray("layers");
    List<Digest> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      out.add(Digest.parse(layers.getJsonObject(i).getString("digest")));
    }
    return out;
  }

  public static Path blob(Path layout, Digest digest) {
    return layout.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readString(Path file) {
    return new String(bytes(file), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String run(Path dir, List<String> cmd) {
    try {
      Path out = Files.createTempFile(dir, "cmd", ".out");
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      boolean done = p.waitFor(120, TimeUnit.SECONDS);
      String output = Files.readString(out);
      if (!done) {
        p.destroyForcibly();
      }
      assertEquals(0, done ? p.exitValue() : -1, String.join(" ", cmd) + " failed: " + output);
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The bytes of a blob as {@code storage} serves it to {@code repository}. */
  public static byte[] stored(RegistryStorage storage, String repository, Digest digest) {
    try (var channel = storage.openBlob(repository, digest).channel()) {
      ByteBuffer buffer = ByteBuffer.allocate((int) channel.size());
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read all
      }
      return buffer.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
