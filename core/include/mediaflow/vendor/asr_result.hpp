// What one message of a streaming ASR vendor means, in the terms of the transcript schema
// (docs/transcript-schema.md). A vendor's codec maps its server messages to these; the
// MediaflowVendorAsr base class (vendor_asr.hpp) posts them as element messages, adding the
// call time of the connection's first audio to every time. Plain C++, no GStreamer.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mediaflow::vendor {

// Times below are seconds since the first byte of audio sent on the connection.

struct Word {
  std::string word;
  double start = 0;
  double end = 0;
  double confidence = 0;
  std::optional<std::string> punctuated;  // the punctuated/cased form, when the vendor gives one
};

// `mediaflow-transcript`. A final transcript also tells the base that the vendor will not need
// the audio before start + duration again (the replay backlog forgets it).
struct Transcript {
  std::string text = {};
  bool is_final = false;
  bool end_of_utterance = false;
  double start = 0;
  double duration = 0;
  double confidence = 0;
  std::vector<Word> words = {};  // empty: the message carries no `words` field
  int channel = 0;
};

struct SpeechStarted {  // `mediaflow-speech-started`
  double timestamp = 0;
};

struct UtteranceEnd {  // `mediaflow-utterance-end`
  double last_word_end = 0;
};

// An error the vendor reported in a message. Logged (never posted): the close that follows,
// if any, decides whether the stream goes on. Never holds audio or transcript text.
struct VendorError {
  std::string description;
};

// The vendor's last answer to the finalize message (AssemblyAI `Termination`): nothing more
// will come. A vendor that says so by closing normally (Deepgram) never returns it.
struct Finished {};

// Anything else (metadata, session ids, unknown types): `note` is logged at debug level.
struct Ignore {
  std::string note;
};

using AsrResult = std::variant<Ignore, Transcript, SpeechStarted, UtteranceEnd, VendorError, Finished>;

}  // namespace mediaflow::vendor
