package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/** A test-side bundle writer that follows BUNDLE-FORMAT.md (the exporter is another helper's). */
final class TestBundles {
  private TestBundles() {}

  record Blob(Digest digest, byte[] bytes, String mediaType) {
    static Blob of(byte[] bytes, String mediaType) {
      return new Blob(Digest.sha256(bytes), bytes, mediaType);
    }

    JsonObject descriptor() {
      return new JsonObject().put("mediaType", mediaType).put("digest", digest.toString()).put("size", bytes.length);
    }
  }

  /** An OCI image: config, layers, manifest. */
  record Image(Blob manifest, Blob config, List<Blob> layers) {
    List<Blob> blobs() {
      List<Blob> all = new ArrayList<>();
      all.add(config);
      all.addAll(layers);
      return all;
    }
  }

  static Image image(String seed, int layers, int layerBytes) {
    Random random = new Random(seed.hashCode());
    List<Blob> blobs = new ArrayList<>();
    JsonArray diffIds = new JsonArray();
    for (int i = 0; i < layers; i++) {
      byte[] bytes = new byte[layerBytes];
      random.nextBytes(bytes);
      Blob layer = Blob.of(bytes, "application/vnd.oci.image.layer.v1.tar");
      blobs.add(layer);
      diffIds.add(layer.digest().toString());
    }
    JsonObject configJson = new JsonObject().put("architecture", "amd64").put("os", "linux")
        .put("rootfs", new JsonObject().put("type", "layers").put("diff_ids", diffIds))
        .put("config", new JsonObject().put("Labels", new JsonObject().put("seed", seed)));
    Blob config = Blob.of(configJson.encode().getBytes(StandardCharsets.UTF_8),
        "application/vnd.oci.image.config.v1+json");
    JsonArray layerDescriptors = new JsonArray();
    blobs.forEach(b -> layerDescriptors.add(b.descriptor()));
    JsonObject manifest = new JsonObject().put("schemaVersion", 2)
        .put("mediaType", "application/vnd.oci.image.manifest.v1+json")
        .put("config", config.descriptor()).put("layers", layerDescriptors);
    return new Image(Blob.of(manifest.encode().getBytes(StandardCharsets.UTF_8),
        "application/vnd.oci.image.manifest.v1+json"), config, blobs);
  }

  enum Compression { TAR, GZIP, ZSTD }

  /** A bundle as the exporter writes it; fields are changed by tests to make bad ones. */
  static final class Bundle {
    String store = "0123456789abcdef0123456789abcdef";
    long cursor = 10;
    Long since;
    List<String> repositories = new ArrayList<>();
    final List<Object[]> tags = new ArrayList<>(); // repository, tag, image
    final List<Object[]> deletedTags = new ArrayList<>();
    final List<Digest> omitted = new ArrayList<>();
    final List<Object[]> deletedManifests = new ArrayList<>(); // repository, digest
    boolean metadata = true;

    Bundle tag(String repository, String tag, Image image) {
      tags.add(new Object[] {repository, tag, image});
      if (!repositories.contains(repository)) {
        repositories.add(repository);
      }
      return this;
    }

    /** The entries in the exporter's order: oci-layout, metadata, index.json, manifests, then blobs. */
    LinkedHashMap<String, byte[]> entries() {
      LinkedHashMap<String, byte[]> entries = new LinkedHashMap<>();
      entries.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      if (metadata) {
        JsonArray deleted = new JsonArray();
        deletedTags.forEach(t -> deleted.add(new JsonObject().put("repository", t[0]).put("tag", t[1])));
        JsonArray omittedJson = new JsonArray();
        omitted.forEach(d -> omittedJson.add(d.toString()));
        JsonObject meta = new JsonObject().put("bundleVersion", 1).put("store", store).put("cursor", cursor)
            .put("since", since).put("repositories", new JsonArray(repositories))
            .put("deletedTags", deleted).put("deletedManifests", deletedManifestsJson())
            .put("omittedBlobs", omittedJson).put("createdAt", "2026-11-30T20:00:00Z");
        entries.put(BundleMetadata.ENTRY, meta.encode().getBytes(StandardCharsets.UTF_8));
      }
      JsonArray manifests = new JsonArray();
      for (Object[] t : tags) {
        Image image = (Image) t[2];
        manifests.add(image.manifest().descriptor().put("annotations", new JsonObject()
            .put("org.opencontainers.image.ref.name", t[0] + ":" + t[1])
            .put("io.connectedregistry.repository", t[0])));
      }
      entries.put("index.json", new JsonObject().put("schemaVersion", 2)
          .put("mediaType", "application/vnd.oci.image.index.v1+json").put("manifests", manifests)
          .encode().getBytes(StandardCharsets.UTF_8));
      for (Object[] t : tags) {
        Image image = (Image) t[2];
        entries.put(path(image.manifest().digest()), image.manifest().bytes());
      }
      for (Object[] t : tags) {
        for (Blob blob : ((Image) t[2]).blobs()) {
          if (!omitted.contains(blob.digest())) {
            entries.put(path(blob.digest()), blob.bytes());
          }
        }
      }
      return entries;
    }

    JsonArray deletedManifestsJson() {
      JsonArray out = new JsonArray();
      deletedManifests.forEach(m -> out.add(new JsonObject().put("repository", m[0]).put("digest", m[1].toString())));
      return out;
    }

    byte[] write(Compression compression) {
      return tar(entries(), compression);
    }
  }

  static String path(Digest digest) {
    return "blobs/sha256/" + digest.hex();
  }

  static byte[] tar(Map<String, byte[]> entries, Compression compression) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream compressed = switch (compression) {
          case TAR -> out;
          case GZIP -> new GzipCompressorOutputStream(out);
          case ZSTD -> new ZstdCompressorOutputStream(out);
        };
        TarArchiveOutputStream tar = new TarArchiveOutputStream(compressed)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(e.getKey(), true);
        entry.setSize(e.getValue().length);
        tar.putArchiveEntry(entry);
        tar.write(e.getValue());
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
