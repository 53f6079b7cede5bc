"""The media worker: aiortc peer connections that relay a consultation's audio and video.

``passthrough`` forwards encoded frames between the two legs, ``session`` is one
consultation, ``registry`` owns every session, ``worker`` serves the channel layer,
``client`` is what consumers call, ``messages`` is the contract (docs/media.md).
"""
