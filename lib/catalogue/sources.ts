// Where each wording in the catalogue comes from. Historical wordings stay beside the current one so a
// job that carries an older or translated text is still recognized; each keeps its provenance label.
import { worded } from './patterns';

/** Every provenance label a catalogue wording may carry, with what it refers to (listed in docs/catalogue.md). */
export const SOURCE_LABELS: Readonly<Record<string, string>> = Object.freeze({
  'learn-2022': 'English articles as of 06/2022 (MicrosoftDocs/azure-docs history)',
  'learn-2018': 'English agent/extension article as of 01/2018 (MicrosoftDocs/azure-docs history)',
  'learn-cs-2021': 'Czech machine translation of the current article (Microsoft/azure-docs.cs-cz, 03/2021)',
  'learn-ru-2021': 'Russian machine translation of the current article (Microsoft/azure-docs.ru-ru, 03/2021)',
  'learn-pt-2021': 'Portuguese machine translation of the current article (Microsoft/azure-docs.pt-pt)',
  'learn-zh-TW-2021': 'Traditional Chinese translation of the current article (azure-docs.zh-tw mirror)',
  'service-response': 'Text the service returned, as quoted in public issue reports (see test/fixtures/real-world-failures.json)',
  'portal-support-form': "The portal's self-help (support form) article for the code",
  'distinctive-phrase': 'The distinctive part of a documented message, which identifies it on its own',
});

export const learn2022 = worded('learn-2022');
export const learn2018 = worded('learn-2018');
export const cs2021 = worded('learn-cs-2021');
export const ru2021 = worded('learn-ru-2021');
export const pt2021 = worded('learn-pt-2021');
export const zh2021 = worded('learn-zh-TW-2021');
export const service = worded('service-response');
export const supportForm = worded('portal-support-form');
export const phrase = worded('distinctive-phrase');
