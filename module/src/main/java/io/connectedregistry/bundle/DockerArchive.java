package io.connectedregistry.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.InvalidReferenceException;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.RepositoryName;
import io.connectedregistry.oci.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A {@code docker save} archive (also what {@code skopeo copy ... docker-archive:} and {@code
 * podman save --format docker-archive} write), read as one stream: {@code manifest.json} lists each
 * image's {@code Config}, {@code RepoTags} and {@code Layers}, and the files it names may come
 * anywhere in the tar (often before {@code manifest.json}), under any name, through symbolic or hard
 * links ({@code <id>/layer.tar -> ../<sha256>.tar}).
 *
 * <p>So every regular file is staged as it streams by, hashed on the way, into a private work
 * folder the caller puts on the data folder's file system (then a staged file can be renamed into
 * the blob store); files with the same content are kept once. Entry names are never used as
 * paths: staged files are numbered, and links are resolved inside the archive's own name space,
 * so a name like {@code ../../etc/passwd} reaches nothing. When the stream ends, each image of
 * {@code manifest.json} becomes an OCI image manifest built over its config and layers.
 *
 * <p>The layers of such archives are usually uncompressed tars (their digests are the config's
 * {@code diff_ids}, checked here); a gzip or zstd layer keeps its bytes and gets the matching OCI
 * media type. The manifest is an OCI one because Docker schema 2 has no layer type for an
 * uncompressed tar that clients accept; every current runtime reads OCI manifests.
 */
public final class DockerArchive implements AutoCloseable {
  /** manifest.json of a few images is kilobytes; this bounds what a hostile archive makes us parse. */
  private static final int MAX_MANIFEST_JSON = 16 * 1024 * 1024;
  /** An image config is kilobytes; a name pointing Config at a layer must not make us parse gigabytes. */
  private static final long MAX_CONFIG = 4 * 1024 * 1024;
  /** Entries at most: the name map stays bounded whatever the archive. */
  private static final int MAX_ENTRIES = 100_000;
  /** Links followed in a row at most (a loop of links ends here). */
  private static final int MAX_LINK_HOPS = 16;
  private static final int CHUNK = 256 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";

  private final Path work;
  private final List<Image> images;

  private DockerArchive(Path work, List<Image> images) {
    this.work = work;
    this.images = List.copyOf(images);
  }

  /** Where an image is to be tagged: {@code RepoTags} with a registry host dropped. */
  public record Reference(String repository, String tag) {
    @Override
    public String toString() {
      return repository + ":" + tag;
    }
  }

  /** A staged file: its digest, size and media type; {@code file} is in the work folder. */
  public record Blob(Digest digest, long size, String mediaType, Path file) {}

  /**
   * One image of the archive.
   *
   * @param references where {@code RepoTags} puts it; empty for an image saved without a tag
   * @param manifest the OCI image manifest built for it (its exact bytes: the digest is of these)
   */
  public record Image(List<Reference> references, byte[] manifest, Digest manifestDigest, Blob config,
      List<Blob> layers) {
    public String manifestMediaType() {
      return MediaTypes.OCI_MANIFEST;
    }
  }

  /**
   * Reads the whole archive ({@code in} may be gzip- or zstd-compressed), staging its files in a
   * new folder under {@code workParent}. On failure the folder is removed and a BundleException
   * names what is wrong; on success {@link #close} removes it (files moved out meanwhile are kept).
   */
  public static DockerArchive read(InputStream in, Path workParent, TransferListener listener) {
    Path work;
    try {
      Files.createDirectories(workParent);
      work = Files.createTempDirectory(workParent, "docker-archive-");
    } catch (IOException e) {
      throw BundleException.failure("cannot create a work folder in " + workParent + ": " + e.getMessage(), e);
    }
    try {
      listener.started(-1, -1);
      Staging staging = new Staging(work, listener);
      try (TarArchiveInputStream tar = new TarArchiveInputStream(Compression.decompressed(in))) {
        staging.readAll(tar);
      }
      List<Image> images = staging.images();
      return new DockerArchive(work, images);
    } catch (IOException e) {
      deleteTree(work);
      throw BundleException.request("not a readable docker archive: " + e.getMessage());
    } catch (RuntimeException e) {
      deleteTree(work);
      throw e;
    } finally {
      listener.finished();
    }
  }

  public List<Image> images() {
    return images;
  }

  /** The work folder with the staged files. */
  public Path workFolder() {
    return work;
  }

  @Override
  public void close() {
    deleteTree(work);
  }

  /**
   * {@code RepoTags} entry to a reference of this registry: the registry host is dropped
   * ({@code docker.io/library/x:1} is {@code library/x:1}, {@code localhost/app:2} is {@code app:2}),
   * the rest must be a valid repository name and tag. Null for {@code <none>:<none>}.
   */
  static Reference reference(String repoTag) {
    if (repoTag == null || repoTag.equals("<none>:<none>")) {
      return null;
    }
    int colon = repoTag.lastIndexOf(':');
    if (colon < 0 || colon < repoTag.lastIndexOf('/')) {
      throw BundleException.request("RepoTags entry " + repoTag + " has no tag");
    }
    String name = repoTag.substring(0, colon);
    String tag = repoTag.substring(colon + 1);
    int slash = name.indexOf('/');
    if (slash > 0) {
      String first = name.substring(0, slash);
      // Docker's rule: a first component with a dot or a port, or "localhost", is a registry host.
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        name = name.substring(slash + 1);
      }
    }
    try {
      return new Reference(RepositoryName.of(name).value(), Tag.validate(tag));
    } catch (InvalidReferenceException e) {
      throw BundleException.request("RepoTags entry " + repoTag + " is not a valid repository and tag here");
    }
  }

  // ---- staging ----

  /** The archive's name space while it streams: names to staged files, and links. */
  private static final class Staging {
    private final Path work;
    private final TransferListener listener;
    private final Map<String, Blob> files = new HashMap<>();
    private final Map<Digest, Blob> byDigest = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();
    private final byte[] buffer = new byte[CHUNK];
    private byte[] manifestJson;
    private int entries;
    private int staged;

    Staging(Path work, TransferListener listener) {
      this.work = work;
      this.listener = listener;
    }

    void readAll(TarArchiveInputStream tar) throws IOException {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (++entries > MAX_ENTRIES) {
          throw BundleException.request("the archive has more than " + MAX_ENTRIES + " entries");
        }
        String name = normalize(entry.getName());
        if (name == null) {
          throw BundleException.request("the archive has an entry named " + entry.getName()
              + ", outside the archive");
        }
        if (entry.isSymbolicLink()) {
          String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
          String target = entry.getLinkName().startsWith("/") ? null : normalize(parent + entry.getLinkName());
          if (target == null) {
            throw BundleException.request("link " + name + " points outside the archive: " + entry.getLinkName());
          }
          links.put(name, target);
        } else if (entry.isLink()) { // a hard link names another entry of the archive
          String target = normalize(entry.getLinkName());
          if (target == null) {
            throw BundleException.request("link " + name + " points outside the archive: " + entry.getLinkName());
          }
          links.put(name, target);
        } else if (entry.isFile()) {
          if (name.equals("manifest.json")) {
            if (entry.getSize() > MAX_MANIFEST_JSON) {
              throw BundleException.request("manifest.json is larger than " + MAX_MANIFEST_JSON + " bytes");
            }
            manifestJson = tar.readNBytes((int) entry.getSize());
          } else {
            files.put(name, stage(tar, name));
          }
        }
        // Folders and anything else (devices, fifos) carry nothing an image needs.
      }
    }

    private Blob stage(InputStream in, String name) throws IOException {
      Path file = work.resolve("f-" + (++staged));
      MessageDigest hasher = Digest.newMessageDigest("sha256");
      long size = 0;
      byte[] head = new byte[4];
      int headLength = 0;
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          if (headLength < head.length) {
            int take = Math.min(head.length - headLength, n);
            System.arraycopy(buffer, 0, head, headLength, take);
            headLength += take;
          }
          hasher.update(buffer, 0, n);
          out.write(buffer, 0, n);
          size += n;
          listener.transferred(n);
        }
      }
      Digest digest = Digest.fromHasher("sha256", hasher);
      Blob known = byDigest.get(digest);
      if (known != null) { // the same bytes under another name: keep one copy
        Files.delete(file);
        return known;
      }
      Blob blob = new Blob(digest, size, layerMediaType(head, headLength), file);
      byDigest.put(digest, blob);
      return blob;
    }

    List<Image> images() {
      if (manifestJson == null) {
        throw BundleException.request("not a docker archive: it has no manifest.json");
      }
      JsonNode root;
      try {
        root = JSON.readTree(manifestJson);
      } catch (JsonProcessingException e) {
        throw BundleException.request("manifest.json is not valid JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (root == null || !root.isArray()) {
        throw BundleException.request("manifest.json is not a list of images");
      }
      List<Image> images = new ArrayList<>();
      for (JsonNode item : root) {
        images.add(image(item));
      }
      return images;
    }

    private Image image(JsonNode item) {
      String configName = text(item, "Config");
      Blob config = file(configName, "config");
      checkNamedDigest(configName, config);
      config = new Blob(config.digest(), config.size(), OCI_CONFIG, config.file());
      Set<Reference> references = new LinkedHashSet<>();
      for (JsonNode repoTag : item.path("RepoTags")) {
        Reference reference = reference(repoTag.asText(null));
        if (reference != null) {
          references.add(reference);
        }
      }
      JsonNode layerNames = item.path("Layers");
      if (!layerNames.isArray()) {
        throw BundleException.request("manifest.json: an image has no Layers list");
      }
      List<Blob> layers = new ArrayList<>();
      for (JsonNode layerName : layerNames) {
        Blob layer = file(layerName.asText(null), "layer");
        checkNamedDigest(layerName.asText(), layer);
        layers.add(layer);
      }
      checkDiffIds(config, layers, references);
      byte[] manifest = manifest(config, layers);
      return new Image(List.copyOf(references), manifest, Digest.sha256(manifest), config, List.copyOf(layers));
    }

    /** The staged file an entry name leads to, through links. */
    private Blob file(String name, String what) {
      String normalized = name == null ? null : normalize(name);
      if (normalized == null) {
        throw BundleException.request("manifest.json names a " + what + " " + name + " outside the archive");
      }
      String current = normalized;
      for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
        Blob blob = files.get(current);
        if (blob != null) {
          return blob;
        }
        current = links.get(current);
        if (current == null) {
          throw BundleException.request("manifest.json names the " + what + " " + name
              + ", which the archive does not hold");
        }
      }
      throw BundleException.request("the " + what + " " + name + " is behind more than " + MAX_LINK_HOPS + " links");
    }

    /**
     * The config's {@code rootfs.diff_ids} are the digests of the uncompressed layers: an
     * uncompressed layer that differs was damaged on the way.
     */
    private void checkDiffIds(Blob config, List<Blob> layers, Set<Reference> references) {
      if (config.size() > MAX_CONFIG) {
        throw BundleException.request("the config " + config.digest() + " of " + references + " is larger than "
            + MAX_CONFIG + " bytes: not an image config");
      }
      JsonNode diffIds;
      try {
        diffIds = JSON.readTree(config.file().toFile()).path("rootfs").path("diff_ids");
      } catch (IOException e) {
        throw BundleException.request("the config " + config.digest() + " of " + references
            + " is not valid JSON");
      }
      if (!diffIds.isArray()) {
        return;
      }
      if (diffIds.size() != layers.size()) {
        throw BundleException.request("the config of " + references + " lists " + diffIds.size()
            + " layers (rootfs.diff_ids), and manifest.json " + layers.size());
      }
      for (int i = 0; i < layers.size(); i++) {
        Blob layer = layers.get(i);
        if (layer.mediaType().equals(LAYER_TAR) && !layer.digest().toString().equals(diffIds.get(i).asText())) {
          throw BundleException.request("layer " + (i + 1) + " of " + references + " has digest " + layer.digest()
              + ", and the config says " + diffIds.get(i).asText() + ": the archive is damaged");
        }
      }
    }

    private static String text(JsonNode item, String field) {
      JsonNode value = item.get(field);
      if (value == null || !value.isTextual()) {
        throw BundleException.request("manifest.json: an image has no " + field);
      }
      return value.asText();
    }
  }

  /** Names that carry their digest ({@code blobs/sha256/<hex>}, {@code <hex>.json}, {@code <hex>.tar}) must match it. */
  private static void checkNamedDigest(String name, Blob blob) {
    String base = name.substring(name.lastIndexOf('/') + 1);
    String hex = base.replaceFirst("\\.(json|tar)$", "");
    boolean named = hex.matches("[0-9a-f]{64}") && (name.startsWith("blobs/sha256/") || !name.contains("/"));
    if (named && !hex.equals(blob.digest().hex())) {
      throw BundleException.request(name + " has digest " + blob.digest() + ", not the one its name says:"
          + " the archive is damaged");
    }
  }

  private static String layerMediaType(byte[] head, int length) {
    if (length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return LAYER_TAR + "+gzip";
    }
    if (length == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return LAYER_TAR + "+zstd";
    }
    return LAYER_TAR;
  }

  private static byte[] manifest(Blob config, List<Blob> layers) {
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    descriptor(manifest.putObject("config"), config);
    var array = manifest.putArray("layers");
    for (Blob layer : layers) {
      descriptor(array.addObject(), layer);
    }
    try {
      return JSON.writeValueAsBytes(manifest);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void descriptor(ObjectNode node, Blob blob) {
    node.put("mediaType", blob.mediaType());
    node.put("digest", blob.digest().toString());
    node.put("size", blob.size());
  }

  /**
   * An archive entry name in canonical form ({@code ./a//b/../c} is {@code a/c}); null when it
   * would leave the archive (absolute, or {@code ..} above the top).
   */
  static String normalize(String name) {
    if (name == null || name.startsWith("/")) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          return null;
        }
        parts.remove(parts.size() - 1);
      } else {
        parts.add(part);
      }
    }
    return parts.isEmpty() ? null : String.join("/", parts);
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: the folder's name says what it was
    }
  }
}
