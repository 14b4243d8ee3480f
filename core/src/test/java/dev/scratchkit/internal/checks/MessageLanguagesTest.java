package dev.scratchkit.internal.checks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The language directories gettext tries and the variables it reads, as glibc's intl/ does
 * (explodename.c, dcigettext.c's guess_category_value): LANGUAGE only outside the C locale.
 */
class MessageLanguagesTest {

  @Test
  void mostSpecificFirstWithTheNormalisedCodeset() {
    assertThat(MessageCatalogsRule.languages("de_DE.UTF-8")).containsExactly("de_DE.UTF-8", "de_DE.utf8", "de_DE",
        "de.UTF-8", "de.utf8", "de");
    assertThat(MessageCatalogsRule.languages("pt_BR")).containsExactly("pt_BR", "pt");
    assertThat(MessageCatalogsRule.languages("fr")).containsExactly("fr");
  }

  @Test
  void languageListsWinOnlyOutsideTheCLocale() {
    assertThat(locales(Map.of("LANG", "de_DE.UTF-8", "LANGUAGE", "fr:de"))).containsExactly("fr", "de");
    assertThat(locales(Map.of("LANG", "C.UTF-8", "LANGUAGE", "fr:de"))).isEmpty();
    assertThat(locales(Map.of("LC_ALL", "C", "LANG", "de_DE.UTF-8"))).isEmpty();
    assertThat(locales(Map.of("LC_MESSAGES", "es_ES.UTF-8", "LANG", "de_DE.UTF-8"))).containsExactly("es_ES.UTF-8");
    assertThat(locales(Map.of("LANG", "../../etc"))).isEmpty();
  }

  @Test
  void onlyALocaleOfACodesetGlibcLacksNeedsGconvForTheJdksAgents() {
    assertThat(GconvRule.namesOtherCodeset(v -> Optional.ofNullable(Map.of("LANG", "C.UTF-8").get(v)))).isFalse();
    assertThat(GconvRule.namesOtherCodeset(v -> Optional.ofNullable(Map.of("LANG", "de_DE.utf8").get(v)))).isFalse();
    assertThat(GconvRule.namesOtherCodeset(v -> Optional.<String>empty())).isFalse();
    assertThat(GconvRule.namesOtherCodeset(v -> Optional.ofNullable(Map.of("LANG", "de_DE").get(v)))).isTrue();
    assertThat(GconvRule.namesOtherCodeset(v -> Optional.ofNullable(Map.of("LC_ALL", "ja_JP.EUC-JP").get(v))))
        .isTrue();
  }

  private static java.util.List<String> locales(Map<String, String> env) {
    return MessageCatalogsRule.messageLocales(v -> Optional.ofNullable(env.get(v)));
  }
}
