// twiliosrc: Twilio Media Streams audio into a pipeline (see twiliosrc.cpp for the docs).
#pragma once

#include <mediaflow/transport/ingest_src.hpp>

G_BEGIN_DECLS

#define GST_TYPE_TWILIO_SRC (gst_twilio_src_get_type())
G_DECLARE_FINAL_TYPE(GstTwilioSrc, gst_twilio_src, GST, TWILIO_SRC, MediaflowIngestSrc)

GST_ELEMENT_REGISTER_DECLARE(twiliosrc);

G_END_DECLS
