"""The scenario quiz (/kuis): the knowledge base's scenarios asked one at a time, in a private chat or a group."""
