package io.connectedregistry.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.sync.ImportCursor;
import io.connectedregistry.sync.SyncService;
import io.connectedregistry.sync.SyncState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * {@code connected-registry bundle import} on a stopped registry's data folder: the store is
 * opened (its lock keeps a running registry out, so the sync state has one writer), the archive
 * staged and applied, and, for a connected registry, the sync cursor moved by the rule of
 * {@link ImportCursor}. The running registry does the same through the admin API.
 */
public final class OfflineImport {
  /** Kept by the instance agent: the parent's definition, which may set sync.repositories. */
  private static final String PARENT_DEFINITION = "parent-definition.json";

  private OfflineImport() {}

  /** The configuration as the registry would run with it: the file, the environment, and the parent's definition it kept. */
  public static RegistryConfig configuration(ConfigLoader loader, ConfigLoader.Flags flags) {
    ConfigLayers layers = new ConfigLayers(loader, flags);
    RegistryConfig config = layers.build().config();
    Path definition = config.data().resolve(PARENT_DEFINITION);
    if (config.parent() != null && Files.isRegularFile(definition)) {
      try {
        return layers.withParentDefinition(new ObjectMapper().readTree(definition.toFile())).build().config();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + definition, e);
      }
    }
    return config;
  }

  /** Options for a registry of {@code config}: SYNC origin and sync's delete rule with a parent. */
  public static BundleImporter.Options options(RegistryConfig config, String repository) {
    boolean connected = config.parent() != null;
    return new BundleImporter.Options(repository, connected ? ChangeOrigin.SYNC : ChangeOrigin.CLIENT,
        !connected || config.mode() == Mode.ReadOnly, BundleLimits.DEFAULT);
  }

  /** Blocking: imports {@code in} into the data folder of {@code config}; throws as the importer does. */
  public static ImportReport run(RegistryConfig config, InputStream in, String repository) {
    LocalRegistryStorage.Options storageOptions = new LocalRegistryStorage.Options(config.storage().uploadExpiry(),
        config.storage().gcGrace(), config.storage().uploadMaxAge(), config.storage().minFreeBytes(),
        Clock.systemUTC());
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(config.data(), storageOptions)) {
      BundleImporter importer = new BundleImporter(storage, options(config, repository));
      try (BundleImporter.Staged staged = importer.stage(in)) {
        if (config.parent() == null) {
          return ImportReport.of(staged.apply(null), null);
        }
        SyncState state = SyncState.load(config.data(), SyncService.endpoint(config.parent()).baseUrl());
        BundleImporter.Result result = staged.apply(ImportCursor.syncedTags(state));
        ImportCursor.Outcome outcome = ImportCursor.apply(state, staged.bundle(), result.applied(), config.sync());
        state.save();
        return ImportReport.of(result, outcome);
      }
    }
  }
}
