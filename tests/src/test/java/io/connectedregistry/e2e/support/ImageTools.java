package io.connectedregistry.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The third-party image tools: {@code make-image.sh} (shared tools) to write OCI layouts, skopeo
 * to copy them, and readers for what ends up in an OCI layout.
 */
public final class ImageTools {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ImageTools() {}

  /**
   * Writes an image into the OCI layout {@code layout} with {@code make-image.sh -o layout -t tag
   * ARGS -q} and returns the digest of what the tag points at.
   */
  public static String makeImage(Path layout, String tag, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Workspace.sharedTool("make-image.sh").toString(),
        "-o", layout.toString(), "-t", tag, "-q"));
    cmd.addAll(List.of(args));
    String out = Command.run(cmd).assertOk().stdout().trim();
    if (!out.matches("sha256:[0-9a-f]{64}")) {
      throw new AssertionError("make-image.sh printed no digest: " + out);
    }
    return out;
  }

  /** {@code skopeo --policy <accept anything> ARGS}: no dependence on /etc/containers/policy.json. */
  public static Command.Result skopeo(String... args) {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--policy", policy().toString()));
    cmd.addAll(List.of(args));
    return Command.run(cmd, Map.of(), 300);
  }

  /** A signature policy that accepts any image (we test transport, not signatures). */
  public static Path policy() {
    Path p = Workspace.root().resolve("policy.json");
    if (!Files.exists(p)) {
      try {
        Files.writeString(p, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return p;
  }

  /** The digest that {@code tag} points at in the layout's index.json. */
  public static String layoutDigest(Path layout, String tag) {
    JsonNode index = readJson(layout.resolve("index.json"));
    for (JsonNode m : index.path("manifests")) {
      if (tag.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return m.path("digest").asText();
      }
    }
    throw new AssertionError("tag " + tag + " not in " + layout.resolve("index.json") + ": " + index);
  }

  /** Every blob digest in the layout ({@code blobs/<alg>/<hex>}). */
  public static Set<String> layoutBlobs(Path layout) {
    Set<String> out = new TreeSet<>();
    Path blobs = layout.resolve("blobs");
    try (Stream<Path> walk = Files.walk(blobs)) {
      walk.filter(Files::isRegularFile)
          .forEach(p -> out.add(p.getParent().getFileName() + ":" + p.getFileName()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** Every blob file of the layout hashes to its name (nothing corrupt came back). */
  public static void assertLayoutIntact(Path layout) {
    Path dir = layout.resolve("blobs").resolve("sha256");
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(p -> {
        String d = Digests.sha256(p);
        if (!d.equals("sha256:" + p.getFileName())) {
          throw new AssertionError("blob " + p + " does not match its name (" + d + ")");
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public static JsonNode readJson(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }
}
