// jambonzsrc: the caller's audio of a jambonz listen WebSocket into a pipeline (see jambonzsrc.cpp).
#pragma once

#include <mediaflow/transport/ingest_src.hpp>

G_BEGIN_DECLS

#define GST_TYPE_JAMBONZ_SRC (gst_jambonz_src_get_type())
G_DECLARE_FINAL_TYPE(GstJambonzSrc, gst_jambonz_src, GST, JAMBONZ_SRC, MediaflowIngestSrc)

GST_ELEMENT_REGISTER_DECLARE(jambonzsrc);

G_END_DECLS
