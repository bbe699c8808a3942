package io.connectedregistry.control;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The rules of a connected registry's sync scope map, edited one kind at a time: each edit touches
 * only its own rules (a repository's, or one registry's gateway rule), so rules an operator added
 * by hand, and grants a delete without cleanup left behind, stay as they are.
 *
 * <pre>
 * app/*              content/read metadata/read [content/write content/delete metadata/write]
 * gateway/factory1   config/read config/write message/read message/write   (itself)
 * gateway/line3      config/read config/write message/read message/write   (each descendant)
 * </pre>
 */
final class SyncScopeMaps {

  private SyncScopeMaps() {}

  /** The repository actions of a mode: reads, and for ReadWrite the writes and deletes too. */
  static Set<Action> repositoryActions(Mode mode) {
    return mode == Mode.ReadWrite
        ? EnumSet.copyOf(Action.repositoryActions())
        : EnumSet.of(Action.CONTENT_READ, Action.METADATA_READ);
  }

  static ScopeMap initial(ConnectedRegistryDefinition d) {
    List<ScopeMapRule> rules = new ArrayList<>();
    for (RepositoryPattern r : d.repositories()) {
      rules.add(new ScopeMapRule(r, repositoryActions(d.mode())));
    }
    rules.add(ScopeMapRule.gateway(d.name(), Action.gatewayActions()));
    return new ScopeMap(d.syncScopeMapName(), description(d.name()), rules);
  }

  static String description(String name) {
    return "sync scope map of connected registry " + name;
  }

  /** Adds the repository with the mode's actions (or widens an existing rule for it). */
  static ScopeMap withRepository(ScopeMap map, RepositoryPattern pattern, Mode mode) {
    List<ScopeMapRule> rules = new ArrayList<>();
    boolean found = false;
    for (ScopeMapRule rule : map.rules()) {
      if (!rule.isGateway() && rule.pattern().equals(pattern)) {
        EnumSet<Action> actions = EnumSet.copyOf(rule.actions());
        actions.addAll(repositoryActions(mode));
        rules.add(new ScopeMapRule(pattern, actions));
        found = true;
      } else {
        rules.add(rule);
      }
    }
    if (!found) {
      // Repository rules before the gateway rules, as the initial map has them.
      int at = 0;
      while (at < rules.size() && !rules.get(at).isGateway()) {
        at++;
      }
      rules.add(at, new ScopeMapRule(pattern, repositoryActions(mode)));
    }
    return new ScopeMap(map.name(), map.description(), rules);
  }

  static ScopeMap withoutRepositories(ScopeMap map, Predicate<RepositoryPattern> removed) {
    List<ScopeMapRule> rules = new ArrayList<>();
    for (ScopeMapRule rule : map.rules()) {
      if (rule.isGateway() || !removed.test(rule.pattern())) {
        rules.add(rule);
      }
    }
    return new ScopeMap(map.name(), map.description(), rules);
  }

  static ScopeMap withGateway(ScopeMap map, String registry) {
    RepositoryPattern target = RepositoryPattern.of(ScopeMapRule.GATEWAY_PREFIX + registry);
    if (map.rules().stream().anyMatch(r -> r.pattern().equals(target))) {
      return map;
    }
    List<ScopeMapRule> rules = new ArrayList<>(map.rules());
    rules.add(ScopeMapRule.gateway(registry, Action.gatewayActions()));
    return new ScopeMap(map.name(), map.description(), rules);
  }

  static ScopeMap withoutGateway(ScopeMap map, String registry) {
    RepositoryPattern target = RepositoryPattern.of(ScopeMapRule.GATEWAY_PREFIX + registry);
    List<ScopeMapRule> rules = new ArrayList<>();
    for (ScopeMapRule rule : map.rules()) {
      if (!rule.pattern().equals(target)) {
        rules.add(rule);
      }
    }
    return new ScopeMap(map.name(), map.description(), rules);
  }

  /**
   * Whether {@code outer} matches every repository {@code inner} matches: equal, {@code *}, or a
   * {@code prefix/*} that {@code inner} lies under.
   */
  static boolean covers(RepositoryPattern outer, RepositoryPattern inner) {
    String o = outer.value();
    String i = inner.value();
    if (o.equals(i) || o.equals(RepositoryPattern.EVERYTHING)) {
      return true;
    }
    if (!outer.isWildcard() || i.equals(RepositoryPattern.EVERYTHING)) {
      return false;
    }
    String prefix = o.substring(0, o.length() - 1); // "app/"
    return i.length() > prefix.length() && i.startsWith(prefix);
  }
}
