package io.connectedregistry.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.storage.RegistryStorage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code docker save} archive (or {@code skopeo copy ... docker-archive:}): {@code manifest.json}
 * lists each image's config file, its {@code RepoTags} and its layer files, which may come in any
 * order in the tar (so everything was staged first). The manifest is built here, as an OCI image
 * manifest: OCI has a media type for the uncompressed layers these archives hold
 * ({@code application/vnd.oci.image.layer.v1.tar}; Docker's schema 2 has only gzip), and Docker's
 * config is the OCI config. Its digest differs from the one the image had in its registry (that
 * manifest is not in the archive): inherent to the format. The repository and tag come from
 * {@code RepoTags} with the registry host dropped, the repository from {@code --repository} when
 * given; an image without RepoTags is tagged {@code latest} in {@code --repository}.
 */
final class DockerArchivePlanner {
  static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  static final String LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private DockerArchivePlanner() {}

  static ImportPlan plan(StagedArchive staged, RegistryStorage storage, String repositoryOption) {
    JsonNode root;
    try {
      root = JSON.readTree(staged.document("manifest.json"));
    } catch (IOException e) {
      throw StagedArchive.invalid("manifest.json is not valid JSON: " + e.getMessage());
    }
    if (root == null || !root.isArray() || root.isEmpty()) {
      throw StagedArchive.invalid("manifest.json must be a non-empty array of images");
    }
    ImportPlan plan = new ImportPlan(staged, storage, Set.of());
    int i = 0;
    for (JsonNode image : root) {
      i++;
      String where = "manifest.json image " + i;
      Manifest manifest = build(staged, image, where);
      List<ImageNames.Name> names = new ArrayList<>();
      for (JsonNode repoTag : image.path("RepoTags")) {
        ImageNames.Name name = ImageNames.parse(repoTag.asText(null));
        if (name == null) {
          throw StagedArchive.invalid(where + ": RepoTags entry '" + repoTag.asText() + "' is not an image name");
        }
        names.add(new ImageNames.Name(repositoryOption != null ? repositoryOption : name.repository(),
            name.tag() == null ? "latest" : name.tag()));
      }
      if (names.isEmpty()) {
        if (repositoryOption == null) {
          throw StagedArchive.invalid(where + " has no RepoTags: give the target repository with"
              + " --repository R (API: ?repository=R); it is tagged latest there");
        }
        names.add(new ImageNames.Name(repositoryOption, "latest"));
      }
      for (ImageNames.Name name : names) {
        plan.addBuilt(name.repository(), name.tag(), manifest);
      }
    }
    plan.requireComplete();
    return plan;
  }

  private static Manifest build(StagedArchive staged, JsonNode image, String where) {
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.set("config", descriptor(CONFIG, file(staged, image.path("Config").asText(null), where + " Config")));
    ArrayNode layers = manifest.putArray("layers");
    if (!image.path("Layers").isArray() || image.path("Layers").isEmpty()) {
      throw StagedArchive.invalid(where + " has no Layers");
    }
    StagedArchive.StagedFile configFile = file(staged, image.path("Config").asText(null), where + " Config");
    JsonNode diffIds = configJson(staged, configFile, where).path("rootfs").path("diff_ids");
    int i = 0;
    for (JsonNode layer : image.path("Layers")) {
      StagedArchive.StagedFile file = file(staged, layer.asText(null), where + " layer");
      String type = layerType(staged.head(file, 4));
      // A plain tar layer is its own diff_id: the config names exactly these bytes.
      if (type.equals(LAYER_TAR) && diffIds.isArray() && diffIds.size() == image.path("Layers").size()
          && !file.digest().toString().equals(diffIds.get(i).asText())) {
        throw ErrorCode.DIGEST_INVALID.exception(where + ": layer " + file.path() + " has digest " + file.digest()
            + ", but the config's rootfs.diff_ids[" + i + "] is " + diffIds.get(i).asText()
            + " (the archive is corrupt: nothing was imported)");
      }
      layers.add(descriptor(type, file));
      i++;
    }
    try {
      return ManifestParser.parse(JSON.writeValueAsBytes(manifest), MediaTypes.OCI_MANIFEST, "sha256");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode configJson(StagedArchive staged, StagedArchive.StagedFile config, String where) {
    try {
      return JSON.readTree(staged.read(config, StagedArchive.MAX_DOCUMENT_BYTES));
    } catch (IOException e) {
      throw StagedArchive.invalid(where + ": the config " + config.path() + " is not JSON");
    }
  }

  private static StagedArchive.StagedFile file(StagedArchive staged, String path, String what) {
    if (path == null) {
      throw StagedArchive.invalid(what + " is missing");
    }
    StagedArchive.StagedFile file = staged.file(StagedArchive.path(path));
    if (file == null) {
      throw StagedArchive.invalid(what + " names " + path + ", which is not in the archive");
    }
    return file;
  }

  private static ObjectNode descriptor(String mediaType, StagedArchive.StagedFile file) {
    ObjectNode d = JSON.createObjectNode();
    d.put("mediaType", mediaType);
    d.put("digest", file.digest().toString());
    d.put("size", file.size());
    return d;
  }

  /** By the first bytes, as for the archive itself: layers of a save are plain tar, but need not be. */
  static String layerType(byte[] head) {
    if (head.length >= 2 && head[0] == 0x1f && head[1] == (byte) 0x8b) {
      return LAYER_GZIP;
    }
    if (head.length >= 4 && head[0] == 0x28 && head[1] == (byte) 0xb5 && head[2] == 0x2f && head[3] == (byte) 0xfd) {
      return LAYER_ZSTD;
    }
    return LAYER_TAR;
  }
}
