package io.connectedregistry.bundle;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.RegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.connectedregistry.storage.UploadHandle;
import io.connectedregistry.sync.ImportCursor;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundle package's entry point: imports an archive (this project's bundle, an OCI layout made
 * by skopeo, or a {@code docker save} archive; plain tar, gzip or zstd) into a store, like a sync
 * cycle. Two steps, both blocking:
 *
 * <ol>
 *   <li>{@link #stage}: reads the whole stream once, every file staged as an upload (nothing
 *       visible), every digest and size checked, every manifest parsed, every blob an image needs
 *       found in the archive or in this store. Any failure cancels every upload and names the
 *       entry or the digest.
 *   <li>{@link Staged#apply}: commits the blobs into the repositories that need them, puts the
 *       manifests children first, then sets the tags (a tag never names an image that is not
 *       whole), then applies the deletes. A failure undoes what it had done.
 * </ol>
 *
 * A connected registry applies the second step through {@code SyncService.importBundle}, which
 * also moves the sync cursor; offline, the command does both in turn.
 */
public final class BundleImporter {
  private static final Logger LOG = LoggerFactory.getLogger(BundleImporter.class);

  /**
   * @param repository the target repository for archives that do not say (skopeo's ref.name is
   *     often just a tag), or to override what another tool's archive says; null if none
   * @param origin how the change log records the changes: SYNC in a registry with a parent, so
   *     its upstream queue never pushes them back
   * @param mirrorManifestDeletes apply {@code deletedManifests} (not in a ReadWrite connected
   *     registry, as sync does not)
   */
  public record Options(String repository, ChangeOrigin origin, boolean mirrorManifestDeletes, BundleLimits limits) {
    public Options {
      if (repository != null && !ImageNames.validRepository(repository)) {
        throw StagedArchive.invalid("'" + repository + "' is not a repository name");
      }
    }
  }

  private final RegistryStorage storage;
  private final Options options;

  public BundleImporter(RegistryStorage storage, Options options) {
    this.storage = storage;
    this.options = options;
  }

  /**
   * Blocking: reads and checks the whole archive; nothing is visible yet. The caller applies or
   * closes the result.
   */
  public Staged stage(InputStream in) {
    StagedArchive archive = StagedArchive.read(storage, in, options.limits());
    try {
      ImportPlan plan;
      String format;
      if (archive.hasDocument("index.json")) {
        format = archive.hasDocument(BundleMetadata.ENTRY) ? "bundle" : "oci-layout";
        plan = OciLayoutPlanner.plan(archive, storage, options.repository());
      } else if (archive.hasDocument("manifest.json")) {
        format = "docker-archive";
        plan = DockerArchivePlanner.plan(archive, storage, options.repository());
      } else {
        throw StagedArchive.invalid("neither index.json (an OCI layout, a bundle) nor manifest.json"
            + " (docker save) is in the archive: not an image archive, or cut before its end");
      }
      return new Staged(archive, plan, format);
    } catch (RuntimeException e) {
      archive.discard();
      throw e;
    }
  }

  /** A checked archive, staged; {@link #apply} or {@link #close}. */
  public final class Staged implements AutoCloseable {
    private final StagedArchive archive;
    private final ImportPlan plan;
    private final String format;

    private Staged(StagedArchive archive, ImportPlan plan, String format) {
      this.archive = archive;
      this.plan = plan;
      this.format = format;
    }

    /** Where the bundle comes from, for the sync cursor (a null store for another tool's archive). */
    public ImportCursor.Bundle bundle() {
      ImportMetadata m = plan.metadata;
      return m == null ? new ImportCursor.Bundle(null, 0, null, plan.tags.keySet())
          : new ImportCursor.Bundle(m.store(), m.cursor(), m.since(), m.repositories());
    }

    public String format() {
      return format;
    }

    /** Bytes the archive held (file contents). */
    public long bytes() {
      return archive.bytes();
    }

    public int images() {
      return plan.images;
    }

    /**
     * Blocking: makes the archive's content visible, whole or not at all.
     *
     * @param syncedTags the tags sync created (a connected registry: deleted tags are deleted only
     *     if sync created them and they still point where sync put them); null elsewhere
     */
    public Result apply(Map<String, Map<String, String>> syncedTags) {
      Undo undo = new Undo();
      try {
        Result result = commit(syncedTags, undo);
        archive.discard(); // what no image needed
        return result;
      } catch (RuntimeException e) {
        undo.run();
        archive.discard();
        throw e;
      }
    }

    private Result commit(Map<String, Map<String, String>> syncedTags, Undo undo) {
      long blobsWritten = 0;
      long blobsLinked = 0;
      long bytesWritten = 0;
      for (Map.Entry<Digest, Set<String>> blob : plan.blobs.entrySet()) {
        Digest digest = blob.getKey();
        StagedArchive.StagedFile file = archive.blob(digest);
        for (String repository : blob.getValue()) {
          if (storage.blobSize(repository, digest).isPresent()) {
            continue;
          }
          if (file != null && archive.uploads().contains(file.uploadId())) {
            try (UploadHandle upload = storage.openUpload(StagedArchive.STAGING_REPOSITORY, file.uploadId())) {
              storage.commitUpload(upload, digest, repository);
            }
            archive.committed(file);
            blobsWritten++;
            bytesWritten += file.size();
          } else if (storage.linkExistingBlob(repository, digest)) {
            blobsLinked++;
          } else {
            throw new IllegalStateException("blob " + digest + " vanished from this store during the import");
          }
          undo.add(() -> storage.deleteBlob(repository, digest));
        }
      }
      int manifests = 0;
      for (Map.Entry<String, LinkedHashMap<Digest, Manifest>> repo : plan.manifests.entrySet()) {
        String repository = repo.getKey();
        for (Manifest manifest : repo.getValue().values()) {
          if (storage.manifest(repository, new Reference(null, manifest.digest())).isPresent()) {
            continue;
          }
          storage.putManifest(repository, manifest, null, options.origin());
          manifests++;
          undo.add(() -> storage.deleteManifest(repository, new Reference(null, manifest.digest()), options.origin()));
        }
      }
      List<ImportCursor.TagChange> tagsSet = new ArrayList<>();
      int tagsUnchanged = 0;
      for (Map.Entry<String, Map<String, Digest>> repo : plan.tags.entrySet()) {
        String repository = repo.getKey();
        for (Map.Entry<String, Digest> tag : repo.getValue().entrySet()) {
          Manifest manifest = plan.manifests.get(repository).get(tag.getValue());
          Optional<StoredManifest> before = storage.manifest(repository, Reference.parse(tag.getKey()));
          if (before.isPresent() && before.get().digest().equals(tag.getValue())) {
            tagsUnchanged++;
          } else {
            storage.putManifest(repository, manifest, tag.getKey(), options.origin());
            undo.add(() -> restoreTag(repository, tag.getKey(), before.orElse(null)));
          }
          tagsSet.add(new ImportCursor.TagChange(repository, tag.getKey(), tag.getValue().toString()));
        }
      }
      List<ImportCursor.TagChange> tagsDeleted = new ArrayList<>();
      List<String> deleted = new ArrayList<>();
      for (ImportMetadata.TagRef gone : plan.deletedTags) {
        if (plan.tags.getOrDefault(gone.repository(), Map.of()).containsKey(gone.tag())) {
          continue; // set again by this bundle
        }
        Optional<StoredManifest> current = storage.manifest(gone.repository(), Reference.parse(gone.tag()));
        String synced = syncedTags == null ? null
            : syncedTags.getOrDefault(gone.repository(), Map.of()).get(gone.tag());
        if (syncedTags != null && synced != null) {
          tagsDeleted.add(new ImportCursor.TagChange(gone.repository(), gone.tag(), null));
        }
        boolean ours = syncedTags == null || (synced != null && current.isPresent()
            && current.get().digest().toString().equals(synced));
        if (current.isPresent() && ours) {
          storage.deleteManifest(gone.repository(), Reference.parse(gone.tag()), options.origin());
          undo.add(() -> restoreTag(gone.repository(), gone.tag(), current.get()));
          deleted.add(gone.repository() + ":" + gone.tag());
        }
      }
      int manifestsDeleted = 0;
      if (options.mirrorManifestDeletes()) {
        for (ImportMetadata.ManifestRef gone : plan.deletedManifests) {
          if (plan.manifests.getOrDefault(gone.repository(), new LinkedHashMap<>()).containsKey(gone.digest())) {
            continue;
          }
          if (storage.deleteManifest(gone.repository(), new Reference(null, gone.digest()), options.origin())) {
            manifestsDeleted++;
          }
        }
      }
      LOG.info("imported {} ({}): {} image(s), {} tag(s) set, {} deleted, {} blob(s) written, {} linked",
          format, describe(), plan.images, tagsSet.size() - tagsUnchanged, deleted.size(), blobsWritten, blobsLinked);
      return new Result(format, plan.images, List.copyOf(tagsSet), tagsUnchanged, List.copyOf(deleted),
          manifests, manifestsDeleted, blobsWritten, blobsLinked, bytesWritten, archive.bytes(),
          new ImportCursor.Applied(List.copyOf(tagsSet), List.copyOf(tagsDeleted)));
    }

    private String describe() {
      return plan.tags.keySet().isEmpty() ? "untagged" : String.join(", ", plan.tags.keySet());
    }

    private void restoreTag(String repository, String tag, StoredManifest before) {
      if (before == null) {
        storage.deleteManifest(repository, Reference.parse(tag), options.origin());
      } else {
        storage.putManifest(repository, ManifestParser.parse(before.bytes(), before.mediaType(), "sha256"),
            tag, options.origin());
      }
    }

    /** Blocking: cancels what is staged. Idempotent; a no-op after {@link #apply}. */
    @Override
    public void close() {
      archive.discard();
    }

    /** Uploads still staged (tests). */
    List<String> stagedUploads() {
      return archive.uploads();
    }
  }

  /**
   * What an import did.
   *
   * @param tagsSet every tag the archive names, set or already there (as {@code repository:tag})
   * @param bytesWritten bytes of the blobs written (blobs this store had are linked, not written)
   * @param archiveBytes bytes of the files in the archive
   */
  public record Result(String format, int images, List<ImportCursor.TagChange> tagsSet, int tagsUnchanged,
      List<String> tagsDeleted, int manifests, int manifestsDeleted, long blobsWritten, long blobsLinked,
      long bytesWritten, long archiveBytes, ImportCursor.Applied applied) {}

  /** What to take back if the commit fails half-way, newest first. */
  private static final class Undo {
    private final Deque<Runnable> steps = new ArrayDeque<>();

    void add(Runnable step) {
      steps.push(step);
    }

    void run() {
      while (!steps.isEmpty()) {
        try {
          steps.pop().run();
        } catch (RuntimeException | Error e) {
          LOG.error("bundle import: could not undo a step after a failure: {}", e.toString());
        }
      }
    }
  }
}
