package io.connectedregistry.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link RepositoryName} reads {@code <name>} from every URL and from the parent's catalog and
 * change feed: whatever it is given, it answers a name or {@link InvalidReferenceException}.
 */
class RepositoryNameProperties {

  @Property
  void aGeneratedSpecConformingNameIsAccepted(@ForAll("validNames") String name) {
    assertEquals(name, RepositoryName.of(name).value());
  }

  @Property
  void aNameLongerThan255IsRefusedWhateverItsShape(@ForAll("validNames") String name) {
    String longer = (name + "/").repeat(RepositoryName.MAX_LENGTH / (name.length() + 1) + 1) + "a";
    assertRefused(longer);
  }

  @Property(tries = 1000)
  void anyStringIsANameOrRefusedAsOne(@ForAll String text) {
    nameOrRefused(text);
  }

  @Property(tries = 1000)
  void stringsOfTheGrammarsAlphabetAreANameOrRefusedAsOne(@ForAll("grammarShaped") String text) {
    nameOrRefused(text);
  }

  @Property(tries = 50)
  void aHugeNameIsRefused(@ForAll @IntRange(min = 128, max = 100_000) int components,
      @ForAll("separators") String separator) {
    assertRefused("a" + (separator + "a").repeat(components));
  }

  @Property(tries = 300)
  void invalidUtf8DecodedAsTextIsANameOrRefused(@ForAll byte[] bytes) {
    nameOrRefused(new String(bytes, StandardCharsets.UTF_8));
  }

  private static void nameOrRefused(String text) {
    try {
      assertEquals(text, RepositoryName.of(text).value());
    } catch (InvalidReferenceException e) {
      assertEquals("name", e.kind());
    }
  }

  private static void assertRefused(String text) {
    assertEquals("name", assertThrows(InvalidReferenceException.class, () -> RepositoryName.of(text)).kind());
  }

  @Provide
  Arbitrary<String> validNames() {
    Arbitrary<String> alnum = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> separator = Arbitraries.oneOf(Arbitraries.of(".", "_", "__"),
        Arbitraries.strings().withChars('-').ofMinLength(1).ofMaxLength(3));
    Arbitrary<String> component = Combinators.combine(alnum, Combinators.combine(separator, alnum).as(String::concat)
        .list().ofMaxSize(3)).as((first, rest) -> first + String.join("", rest));
    return component.list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join("/", parts))
        .filter(n -> n.length() <= RepositoryName.MAX_LENGTH);
  }

  @Provide
  Arbitrary<String> grammarShaped() {
    return Arbitraries.strings().withChars("ab09./_-A:@ \u0000\n\u00e9").ofMaxLength(300);
  }

  @Provide
  Arbitrary<String> separators() {
    return Arbitraries.of("/", ".", "_", "__", "-", "---");
  }
}
